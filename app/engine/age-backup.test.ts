// Encrypted backups end to end through the engine's workers: the file published is age,
// readable by the real age CLI and passing integrity_check; verify and restore decrypt
// into a private temporary copy; every bad key or damaged file names the file and writes nothing.
import { describe, expect, it, vi } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { backup, restore, verify } from './index.ts';
import { parseManifest } from './manifest.ts';
import { makeDatabase, readState } from '../../test-support/databases.ts';
import { generateAgeIdentity } from '../age/keys.ts';
import type { BackupManifest } from '../api/types.ts';
import { ageMissing, caseFolders, failureOf } from '../../test-support/unit.ts';

// Each SQLCipher 4 key costs 256,000 PBKDF2 rounds and each age passphrase an scrypt at 2^18:
// a test of a dozen keyed opens needs minutes on a loaded 2-core machine, not the default minute.
vi.setConfig({ testTimeout: 300_000 });

const { fresh } = caseFolders('pv-age-backup-');
if (ageMissing) console.log(`skipping the encrypted-backup checks with the age CLI: ${ageMissing}`);

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const decryptedFolders = () => readdirSync(tmpdir()).filter((name) => name.startsWith('pagevault-decrypted-')).length;

async function encryptedBackup(bytes = 3 << 20) {
  const dir = fresh();
  const source = join(dir, 'app.sqlite');
  makeDatabase(source, { bytes });
  const keys = generateAgeIdentity();
  writeFileSync(join(dir, 'key.txt'), `${keys.identity}\n`, { mode: 0o600 });
  const result = await backup(source, join(dir, 'backups') + '/', { encryption: { kind: 'x25519', recipient: keys.recipient }, fullVerify: true });
  return { dir, source, keys, result, identity: [{ kind: 'identity' as const, identity: keys.identity }] };
}

describe('an encrypted backup', () => {
  it('keeps its encryption when its manifest is read back from the folder, as an import reads it', async () => {
    const { result } = await encryptedBackup(1 << 20);
    const text = readFileSync(`${result.path}.manifest.json`, 'utf8');
    const written = JSON.parse(text) as BackupManifest;
    const reading = parseManifest(text);
    expect(reading).toEqual({ manifest: expect.objectContaining({ encryption: written.encryption }) });
    expect(written.encryption).toMatchObject({ format: 'age', recipient: expect.stringMatching(/^age1/) });
  });

  it.skipIf(!!ageMissing)('is <name>-YYYYMMDD-HHMMSS.db.age with its manifest, nothing plain beside it, and age -d -i gives a database that passes integrity_check', async () => {
    const { dir, source, result } = await encryptedBackup();
    expect(result.path).toMatch(/app-\d{8}-\d{6}\.db\.age$/);
    expect(readdirSync(join(dir, 'backups')).sort()).toEqual([`${result.path.split('/').pop()}`, `${result.path.split('/').pop()}.manifest.json`].sort());
    expect(readFileSync(result.path).subarray(0, 22).toString()).toBe('age-encryption.org/v1\n');
    const manifest = JSON.parse(readFileSync(`${result.path}.manifest.json`, 'utf8')) as BackupManifest;
    expect(manifest.sha256).toBe(sha256(result.path));
    expect(manifest.bytes).toBe(statSync(result.path).size);
    expect(manifest.encryption?.recipient).toMatch(/^age1/);
    execFileSync('age', ['-d', '-i', join(dir, 'key.txt'), '-o', join(dir, 'plain.db'), result.path]);
    expect(sha256(join(dir, 'plain.db'))).toBe(manifest.encryption?.plaintextSha256);
    expect(manifest.encryption?.plaintextBytes).toBe(statSync(join(dir, 'plain.db')).size);
    const state = readState(join(dir, 'plain.db'));
    expect(state.integrity).toBe('ok');
    expect(state.journalMode).toBe('delete');
    expect(state.a).toBe(readState(source).a);
  });

  it.skipIf(!!ageMissing)('with a passphrase is scrypt, and opens with that passphrase in Pagevault', async () => {
    const dir = fresh();
    const source = join(dir, 'app.sqlite');
    makeDatabase(source, { bytes: 256 << 10, journalMode: 'delete' });
    const result = await backup(source, join(dir, 'out') + '/', { encryption: { kind: 'passphrase', passphrase: 'a long passphrase', logN: 12 } });
    expect(readFileSync(result.path, 'latin1')).toMatch(/^age-encryption\.org\/v1\n-> scrypt \S+ 12\n/);
    expect(result.manifest.encryption?.recipient).toBe('scrypt');
    const verdict = await verify(result.path, { keys: { age: [{ kind: 'passphrase', passphrase: 'a long passphrase' }] } });
    expect(verdict).toMatchObject({ ok: true, manifestChecked: true, sha256: sha256(result.path) });
  });

  it('verifies with its identity against the manifest, and leaves no decrypted copy behind', async () => {
    const { result, identity } = await encryptedBackup();
    const before = decryptedFolders();
    const verdict = await verify(result.path, { keys: { age: identity }, full: true });
    expect(verdict).toMatchObject({ ok: true, check: 'integrity_check', manifestChecked: true, problems: [] });
    expect(verdict.pageCount).toBe(result.manifest.pageCount);
    expect(decryptedFolders()).toBe(before);
  });

  it('without a key is KEY_NEEDED, with another identity WRONG_KEY, each naming the file and leaving nothing', async () => {
    const { result } = await encryptedBackup(256 << 10);
    const before = decryptedFolders();
    const none = await failureOf(verify(result.path));
    expect(none.code).toBe('KEY_NEEDED');
    expect(none.message).toContain(result.path);
    const wrong = await failureOf(verify(result.path, { keys: { age: [{ kind: 'identity', identity: generateAgeIdentity().identity }] } }));
    expect(wrong.code).toBe('WRONG_KEY');
    expect(wrong.message).toContain(result.path);
    const passphrase = await failureOf(verify(result.path, { keys: { age: [{ kind: 'identity', identity: 'my passphrase\n' }] } }));
    expect(passphrase.code).toBe('WRONG_KEY');
    expect(passphrase.message).toMatch(/looks like a passphrase/);
    expect(decryptedFolders()).toBe(before);
  });

  it('cut short or with a byte changed fails verify with TRUNCATED or CORRUPT naming the file', async () => {
    const { dir, result, identity } = await encryptedBackup(1 << 20);
    const whole = readFileSync(result.path);
    const cut = join(dir, 'cut.db.age');
    writeFileSync(cut, whole.subarray(0, 200 + 2 * (65536 + 16)));
    const truncated = await failureOf(verify(cut, { keys: { age: identity } }));
    expect(['TRUNCATED', 'CORRUPT']).toContain(truncated.code);
    expect(truncated.message).toContain(cut);
    expect(truncated.message).toMatch(/cut short/);
    const changed = Buffer.from(whole);
    changed[whole.length - 70_000] = changed[whole.length - 70_000]! ^ 0x20;
    writeFileSync(result.path, changed);
    const tampered = await failureOf(verify(result.path, { keys: { age: identity } }));
    expect(tampered.code).toBe('CORRUPT');
    expect(tampered.message).toContain(result.path);
  });

  it('restores into the live database, with the safety copy encrypted for the same key, and undo restores it', async () => {
    const { dir, source, result, identity } = await encryptedBackup(512 << 10);
    const db = new Database(source);
    db.exec("INSERT INTO pairs_a (k, v) VALUES (1000, 'after the backup')");
    db.close();
    const restored = await restore(result.path, source, { keys: { age: identity } });
    expect(readState(source).maxA).toBe(100);
    expect(restored.safetyCopy).toMatch(/-before-restore\.db\.age$/);
    expect(readdirSync(join(dir, 'backups')).filter((f) => !f.endsWith('.age') && !f.endsWith('.manifest.json'))).toEqual([]);
    await restore(restored.safetyCopy!, source, { keys: { age: identity }, safetyCopy: false });
    expect(readState(source).maxA).toBe(1000);
  });

  it('restore with a wrong key or a damaged file changes nothing and takes no safety copy', async () => {
    const { dir, source, result } = await encryptedBackup(256 << 10);
    const beforeHash = sha256(source);
    const listing = readdirSync(join(dir, 'backups')).sort();
    const wrong = await failureOf(restore(result.path, source, { keys: { age: [{ kind: 'identity', identity: generateAgeIdentity().identity }] } }));
    expect(wrong.code).toBe('WRONG_KEY');
    const newTarget = join(dir, 'new.db');
    const none = await failureOf(restore(result.path, newTarget));
    expect(none.code).toBe('KEY_NEEDED');
    expect(sha256(source)).toBe(beforeHash);
    expect(readdirSync(join(dir, 'backups')).sort()).toEqual(listing);
    expect(readdirSync(dir)).not.toContain('new.db');
  });

  it.skipIf(!!ageMissing)('a database the age CLI encrypted restores into a new file in Pagevault', async () => {
    const dir = fresh();
    const plain = join(dir, 'plain.db');
    makeDatabase(plain, { bytes: 400 << 10, journalMode: 'delete' });
    execFileSync('age-keygen', ['-o', join(dir, 'key.txt')], { stdio: 'ignore' });
    const recipient = execFileSync('age-keygen', ['-y', join(dir, 'key.txt')], { encoding: 'utf8' }).trim();
    execFileSync('age', ['-e', '-r', recipient, '-o', join(dir, 'theirs.db.age'), plain]);
    const restored = await restore(join(dir, 'theirs.db.age'), join(dir, 'restored.db'), { keys: { age: [{ kind: 'identity', identity: readFileSync(join(dir, 'key.txt'), 'utf8') }] } });
    expect(restored.verification.ok).toBe(true);
    expect(readState(join(dir, 'restored.db'))).toMatchObject({ integrity: 'ok', a: 100 });
  });
});
