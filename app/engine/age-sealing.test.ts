// An encrypted backup is encrypted on a thread of its own: alongside a snapshot copy that
// writes its final bytes in order, or once any other copy is finished, while it is
// verified. Whichever way, the published age file holds exactly the copy that was
// verified, its manifest's two SHA-256s are right, and a cancel or a failure at any point
// leaves nothing behind.
import { describe, expect, it, vi } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { makeDatabase, readState } from '../../test-support/databases.ts';
import { ageMissing, caseFolders, failureOf } from '../../test-support/unit.ts';
import { generateAgeIdentity } from '../age/keys.ts';
import { backupDatabase } from './backup.ts';
import { PARTIAL_SUFFIX } from './partial-file.ts';
import { OperationContext, createCancelFlag, raiseCancelFlag, type EngineProgress } from './context.ts';

vi.setConfig({ testTimeout: 300_000 });

const { fresh } = caseFolders('pv-age-sealing-');
if (ageMissing) console.log(`skipping the age CLI checks of encrypted backups: ${ageMissing}`);

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

function keysIn(dir: string) {
  const keys = generateAgeIdentity();
  writeFileSync(join(dir, 'key.txt'), `${keys.identity}\n`, { mode: 0o600 });
  return { keys, encryption: { kind: 'x25519' as const, recipient: keys.recipient } };
}

/** Decrypts `path` with the real age CLI into `plain.db` beside the key. */
function ageDecrypt(dir: string, path: string): string {
  const plain = join(dir, 'plain.db');
  execFileSync('age', ['-d', '-i', join(dir, 'key.txt'), '-o', plain, path]);
  return plain;
}

describe('an encrypted backup encrypted on its own thread', () => {
  it.skipIf(!!ageMissing)('of a WAL database with commits in its -wal (encrypted as the copy is written) decrypts with age to the verified copy, both SHA-256s right', async () => {
    const dir = fresh();
    const source = join(dir, 'app.sqlite');
    // Several 4 MiB blocks and a last one that is not whole.
    makeDatabase(source, { bytes: 13_000_000 });
    const writer = new Database(source);
    writer.pragma('wal_autocheckpoint = 0');
    writer.prepare('INSERT INTO pairs_a (k, v) VALUES (?, ?)').run(1000, 'in the wal');
    writer.prepare('UPDATE blobs SET body = randomblob(4000) WHERE id % 7 = 0').run();
    try {
      const { encryption } = keysIn(dir);
      const ctx = new OperationContext(createCancelFlag(), () => undefined);
      const result = await backupDatabase(source, join(dir, 'out') + '/', ctx, { encryption });
      expect(readdirSync(join(dir, 'out')).sort()).toEqual([result.path.split('/').pop(), `${result.path.split('/').pop()}.manifest.json`].sort());
      expect(result.manifest).toMatchObject({ copyMethod: 'copied', verification: { verdict: 'passed' }, sha256: sha256(result.path) });
      const plain = ageDecrypt(dir, result.path);
      expect(result.manifest.encryption).toMatchObject({ plaintextSha256: sha256(plain), plaintextBytes: readFileSync(plain).length });
      const state = readState(plain);
      expect(state).toMatchObject({ integrity: 'ok', journalMode: 'delete', a: 101 });
      expect(state.blobs).toBe(readState(source).blobs);
    } finally {
      writer.close();
    }
  });

  it.skipIf(!!ageMissing)('of a WAL database without verification still names the SHA-256 of the database inside, hashed as the copy was written', async () => {
    const dir = fresh();
    const source = join(dir, 'app.sqlite');
    makeDatabase(source, { bytes: 5_000_000 });
    const { encryption } = keysIn(dir);
    const ctx = new OperationContext(createCancelFlag(), () => undefined);
    const result = await backupDatabase(source, join(dir, 'out') + '/', ctx, { encryption, verify: false });
    const plain = ageDecrypt(dir, result.path);
    expect(result.manifest.encryption?.plaintextSha256).toBe(sha256(plain));
    expect(result.manifest.sha256).toBe(sha256(result.path));
  });

  it.skipIf(!!ageMissing)('of a rollback-journal database (stepped: encrypted once finished, while verified) decrypts with age to the verified copy', async () => {
    const dir = fresh();
    const source = join(dir, 'app.sqlite');
    makeDatabase(source, { bytes: 9_000_000, journalMode: 'delete' });
    const { encryption } = keysIn(dir);
    const ctx = new OperationContext(createCancelFlag(), () => undefined);
    const result = await backupDatabase(source, join(dir, 'out') + '/', ctx, { encryption, mode: 'stepped' });
    expect(readdirSync(join(dir, 'out'))).toHaveLength(2);
    expect(result.manifest).toMatchObject({ verification: { verdict: 'passed' }, sha256: sha256(result.path) });
    const plain = ageDecrypt(dir, result.path);
    expect(result.manifest.encryption?.plaintextSha256).toBe(sha256(plain));
    expect(readState(plain)).toMatchObject({ integrity: 'ok', a: 100 });
  });

  // Every report is sent: the clock moves a second each time it is read.
  const steppingClock = () => {
    let now = 0;
    return { now: () => (now += 1000), setTimer: () => () => undefined };
  };

  it.each([
    [false, 'never reaches the disk: the plain partial stays empty'],
    [true, 'is written to the plain partial for its check'],
  ] as const)('of a WAL database, verify %s: the plaintext %s, and the age file decrypts to the snapshot', async (verify, _what) => {
    const dir = fresh();
    const source = join(dir, 'app.sqlite');
    makeDatabase(source, { bytes: 20_000_000 });
    const { encryption } = keysIn(dir);
    const out = join(dir, 'out');
    let largestPlain = 0;
    let copyReports = 0;
    const ctx = new OperationContext(
      createCancelFlag(),
      (progress) => {
        if (progress.phase !== 'copy') return;
        copyReports += 1;
        for (const name of readdirSync(out)) if (!name.includes('.age') && name.endsWith(PARTIAL_SUFFIX)) largestPlain = Math.max(largestPlain, statSync(join(out, name)).size);
      },
      steppingClock(),
    );
    const result = await backupDatabase(source, out + '/', ctx, { encryption, verify });
    expect(copyReports).toBeGreaterThan(3);
    if (verify) expect(largestPlain).toBeGreaterThan(0);
    else expect(largestPlain).toBe(0);
    expect(readdirSync(out).sort()).toEqual([basename(result.path), `${basename(result.path)}.manifest.json`].sort());
    const plain = ageDecrypt(dir, result.path);
    expect(result.manifest.encryption).toMatchObject({ plaintextSha256: sha256(plain), plaintextBytes: statSync(plain).size });
    expect(readState(plain)).toMatchObject({ integrity: 'ok', journalMode: 'delete', a: 100 });
  });

  it.skipIf(process.getuid?.() !== 0).each([false, true])('to a full disk (verify %s) fails with DISK_FULL naming the source, leaves nothing, and the copy does not wait on the stopped encryption', async (verify) => {
    const dir = fresh();
    const source = join(dir, 'app.sqlite');
    makeDatabase(source, { bytes: 20_000_000 });
    const { encryption } = keysIn(dir);
    const mount = join(dir, 'small');
    mkdirSync(mount);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8M', 'tmpfs', mount]);
    try {
      const ctx = new OperationContext(createCancelFlag(), () => undefined);
      const failure = await failureOf(backupDatabase(source, join(mount, 'app.db.age'), ctx, { encryption, verify }));
      expect(failure.code).toBe('DISK_FULL');
      expect(failure.message).toContain(source);
      expect(readdirSync(mount)).toEqual([]);
    } finally {
      execFileSync('umount', [mount]);
    }
    expect(readState(source).integrity).toBe('ok');
  });

  // availableParallelism() reads the process's CPU affinity: under taskset it is 1, and the sealing thread encrypts too.
  it.skipIf(!!ageMissing || spawnSync('taskset', ['--version']).status !== 0)('on one processor (taskset), sealed on one thread, decrypts with age to the snapshot', async () => {
    const dir = fresh();
    const source = join(dir, 'app.sqlite');
    makeDatabase(source, { bytes: 9_000_000 });
    const { encryption } = keysIn(dir);
    const engine = new URL('./index.ts', import.meta.url).pathname;
    const script = `import { availableParallelism } from 'node:os'; import { backup } from ${JSON.stringify(engine)};
      const result = await backup(${JSON.stringify(source)}, ${JSON.stringify(join(dir, 'out') + '/')}, { encryption: ${JSON.stringify(encryption)} });
      console.log(JSON.stringify({ cores: availableParallelism(), path: result.path, manifest: result.manifest }));`;
    const run = spawnSync('taskset', ['-c', '0', process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const answer = JSON.parse(run.stdout) as { cores: number; path: string; manifest: { sha256: string; encryption: { plaintextSha256: string } } };
    expect(answer.cores).toBe(1);
    expect(answer.manifest.sha256).toBe(sha256(answer.path));
    const plain = ageDecrypt(dir, answer.path);
    expect(answer.manifest.encryption.plaintextSha256).toBe(sha256(plain));
    expect(readState(plain)).toMatchObject({ integrity: 'ok', a: 100 });
  });

  it.each([
    ['snapshot', 'copy'],
    ['stepped', 'verify'],
  ] as const)('in %s mode, cancelled in its %s phase (its encryption under way alongside), answers CANCELLED and leaves neither partial', async (mode, phase) => {
    const dir = fresh();
    const source = join(dir, 'app.sqlite');
    makeDatabase(source, { bytes: 20_000_000, journalMode: mode === 'snapshot' ? 'wal' : 'delete' });
    const { encryption } = keysIn(dir);
    const flag = createCancelFlag();
    let cancelledAt: EngineProgress | undefined;
    const ctx = new OperationContext(
      flag,
      (progress) => {
        if (!cancelledAt && progress.phase === phase) {
          cancelledAt = progress;
          // Both partials exist: the plain copy and the age file it is encrypted into.
          const names = readdirSync(join(dir, 'out'));
          expect([names.some((name) => name.includes('.db.age')), names.some((name) => !name.includes('.age'))]).toEqual([true, true]);
          raiseCancelFlag(flag);
        }
      },
      steppingClock(),
    );
    const failure = await failureOf(backupDatabase(source, join(dir, 'out') + '/', ctx, { encryption, mode }));
    expect(failure.code).toBe('CANCELLED');
    expect(cancelledAt).toBeDefined();
    expect(readdirSync(join(dir, 'out'))).toEqual([]);
  });
});
