// Private temporary folders against real processes killed with SIGKILL while they hold one:
// the next folder of the same kind removes what they left, and nothing it cannot prove
// Pagevault's and abandoned (in use by a running process, no owner file, another host's, a
// link, another kind). A decrypted `.age` backup and a version written out of an encrypted
// vault, each left by a killed process, go the same way.
import { describe, expect, it, vi } from 'vitest';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { removeAbandonedPrivateFolders } from './private-folder.ts';
import { vaultBackup } from './index.ts';
import { makeDatabase } from '../../test-support/databases.ts';
import { ageMissing, caseFolders } from '../../test-support/unit.ts';

vi.setConfig({ testTimeout: 120_000 });
const { fresh } = caseFolders('pv-private-folder-');
const userScript = fileURLToPath(new URL('../../test-support/private-folder-user.ts', import.meta.url));
if (ageMissing) console.log(`skipping the private folders of decrypted backups and versions: ${ageMissing}`);

/** Runs the user script with `tmp` as its temporary folder; the path it printed, and whether it was killed. */
function run(tmp: string, args: string[]): { path: string; killed: boolean } {
  const result = spawnSync(process.execPath, [userScript, ...args], { encoding: 'utf8', env: { ...process.env, TMPDIR: tmp } });
  if (result.signal !== 'SIGKILL' && result.status !== 0) throw new Error(`private-folder-user ${args.join(' ')} failed: ${result.stderr}`);
  return { path: result.stdout.trim(), killed: result.signal === 'SIGKILL' };
}

const kinds = (tmp: string, prefix: string) => readdirSync(tmp).filter((name) => name.startsWith(prefix));

function newKey(dir: string): { file: string; recipient: string } {
  const file = join(dir, 'key.txt');
  execFileSync('age-keygen', ['-o', file], { stdio: 'ignore' });
  return { file, recipient: execFileSync('age-keygen', ['-y', file], { encoding: 'utf8' }).trim() };
}

describe('a private temporary folder', () => {
  it("that a killed process held is removed; one a running process holds, one without an owner file, another host's, a link and another kind's are not", async () => {
    const tmp = fresh();
    const holder = spawn(process.execPath, [userScript, 'hold', 'pagevault-version-'], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, TMPDIR: tmp } });
    const held = await new Promise<string>((resolve) => createInterface({ input: holder.stdout! }).once('line', resolve));
    // Made after the held one: making it swept the folder, and left the held one alone.
    const killed = run(tmp, ['make', 'pagevault-version-']);
    expect(killed.killed).toBe(true);
    expect(readFileSync(join(killed.path, 'plain.db'), 'utf8')).toBe('plain');
    expect(existsSync(held)).toBe(true);
    const otherKind = run(tmp, ['make', 'pagevault-decrypted-']);

    const noOwner = join(tmp, 'pagevault-version-noowner');
    mkdirSync(noOwner);
    writeFileSync(join(noOwner, 'notes.txt'), 'kept');
    const elsewhere = join(tmp, 'pagevault-version-elsewhere');
    mkdirSync(elsewhere);
    const owner = new Database(join(elsewhere, 'owner.pagevault-owner'));
    owner.exec("CREATE TABLE owner (pid INTEGER, host TEXT, started_at TEXT); INSERT INTO owner VALUES (1, 'another-host', '2026-01-01')");
    owner.close();
    // A link to a folder that would pass every other test: the link is not a folder of Pagevault's making.
    const linked = join(fresh('linked'), 'target');
    mkdirSync(linked);
    writeFileSync(join(linked, 'owner.pagevault-owner'), '');
    symlinkSync(linked, join(tmp, 'pagevault-version-link'));

    expect(removeAbandonedPrivateFolders('pagevault-version-', tmp)).toEqual([killed.path]);
    expect(kinds(tmp, 'pagevault-version-').sort()).toEqual(['pagevault-version-elsewhere', 'pagevault-version-link', 'pagevault-version-noowner', held.split('/').pop()!].sort());
    expect(existsSync(otherKind.path)).toBe(true);
    expect(readdirSync(linked)).toEqual(['owner.pagevault-owner']);
    expect(readdirSync(noOwner)).toEqual(['notes.txt']);

    const ended = new Promise((resolve) => holder.once('exit', resolve));
    holder.stdin!.end();
    await ended;
    expect(existsSync(held)).toBe(false);
  });

  it.skipIf(!!ageMissing)('holding a decrypted .age backup, left by a process killed while it held it, is removed by the next decryption', () => {
    const dir = fresh();
    const tmp = fresh('tmp');
    const key = newKey(dir);
    const source = join(dir, 'plain.db');
    makeDatabase(source);
    const sealed = join(dir, 'backup.db.age');
    execFileSync('age', ['-r', key.recipient, '-o', sealed, source]);
    expect(run(tmp, ['decrypt', sealed, key.file, 'kill']).killed).toBe(true);
    const left = kinds(tmp, 'pagevault-decrypted-');
    expect(left).toHaveLength(1);
    expect(readFileSync(join(tmp, left[0]!, 'backup.db')).equals(readFileSync(source))).toBe(true);
    run(tmp, ['decrypt', sealed, key.file]);
    expect(kinds(tmp, 'pagevault-decrypted-')).toEqual([]);
  });

  it.skipIf(!!ageMissing)('holding a version written out of an encrypted vault, left by a process killed while it held it, is removed by the next one written out', async () => {
    const dir = fresh();
    const tmp = fresh('tmp');
    const key = newKey(dir);
    const source = join(dir, 'live.db');
    makeDatabase(source);
    const vault = join(dir, 'live.vault');
    await vaultBackup(source, vault, { encryption: { kind: 'x25519', recipient: key.recipient } });
    expect(run(tmp, ['version', vault, '1', key.file, 'kill']).killed).toBe(true);
    expect(kinds(tmp, 'pagevault-version-')).toHaveLength(1);
    run(tmp, ['version', vault, '1', key.file]);
    expect(kinds(tmp, 'pagevault-version-')).toEqual([]);
  });
});
