/**
 * A database another program holds exclusively, through the core: it can be added (the
 * inspection at add time reads its header instead of failing) and Backup now backs it up.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callCore, jobFinished } from '../../test-support/core-calls.ts';
import { makeDatabase, readState } from '../../test-support/databases.ts';
import { startExclusiveWriter } from '../../test-support/processes.ts';
import type { BackupManifest } from '../api/index.ts';
import { Core } from './core.ts';

describe('a database another program holds', () => {
  it('is added with its journal mode from its header, and Backup now copies it without a lock', async () => {
    const work = mkdtempSync(join(tmpdir(), 'pv-held-core-'));
    const source = join(work, 'places.sqlite');
    makeDatabase(source, { journalMode: 'wal', bytes: 300_000 });
    const writer = await startExclusiveWriter(source, 'wal');
    const core = new Core({ dataDir: join(work, 'data'), shell: 'web' });
    try {
      const added = await callCore(core, 'databases.add', { path: source });
      expect(added).toMatchObject({ journalMode: 'wal', pageSize: 4096, mode: 'snapshot' });
      const job = await callCore(core, 'backups.start', { databaseId: added.id });
      const done = await jobFinished(core, job.jobId);
      expect(done).toMatchObject({ ok: true, error: null });
      const path = done.backup!.path!;
      const manifest = JSON.parse(readFileSync(`${path}.manifest.json`, 'utf8')) as BackupManifest;
      expect(manifest.heldCopy).toMatchObject({ journal: 'wal' });
      const state = readState(path);
      expect(state.integrity).toBe('ok');
      expect(state.a).toBe(state.b);
    } finally {
      await core.close();
      await writer.stop();
    }
  });
});
