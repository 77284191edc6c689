// The checkpoint helper's write-back thread, given descriptors the system refuses.
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { helperWarnings } from './checkpoint-handoff.ts';
import { writeBackLoop } from './wal-write-back.ts';

const dir = mkdtempSync(join(tmpdir(), 'pv-write-back-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the write-back loop', () => {
  it('says why it stopped when the system refuses a write-back, instead of ending without a word', () => {
    // A descriptor that was closed: every fstat and fdatasync of it fails with EBADF.
    const fd = openSync(join(dir, 'gone-wal'), 'w');
    closeSync(fd);
    const said: string[] = [];
    writeBackLoop({ wal: fd, database: fd, start: 0, checkpointing: new Int32Array(new SharedArrayBuffer(4)) }, (line) => said.push(line));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^write-back-failed .*EBADF/);
  });

  it("becomes one warning of the backup per failure, naming the source's WAL", () => {
    const fd = openSync(join(dir, 'gone-wal'), 'w');
    closeSync(fd);
    const said: string[] = ['ready'];
    writeBackLoop({ wal: fd, database: fd, start: 0, checkpointing: new Int32Array(new SharedArrayBuffer(4)) }, (line) => said.push(line));
    // The same refusal said again as the rest is written back before the hand-off.
    const output = [...said, said[1]!, 'synced', ''].join('\n');
    const warnings = helperWarnings('/data/app.db', output);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^The checkpoint helper could not write \/data\/app\.db-wal back to disk ahead of its checkpoint \(EBADF.*\); SQLite's own checkpoint writes it instead/);
  });
});
