// An encrypted vault against real files, a real writer process and the real age CLI: its
// data key opens with `age -d`, random versions restore to exactly the pages of raw
// snapshots, no page is stored in the clear, a changed block is found and named, a wrong
// or missing key changes nothing, and prune needs no key.
import { describe, expect, it, vi } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { basename, join } from 'node:path';
import { zstdDecompressSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { vaultBackup, vaultDelete, vaultList, vaultPrune, vaultRestore, vaultVerify } from '../engine/index.ts';
import type { AgeKeyInput } from '../api/types.ts';
import { VAULT_FILE } from './vault-store.ts';
import { makePrivateFolder } from '../engine/private-folder.ts';
import { ageMissing, caseFolders, failureOf } from '../../test-support/unit.ts';
import { PageWriter, rawSnapshot } from '../../test-support/page-changes.ts';
import { makeDatabase, readState } from '../../test-support/databases.ts';

vi.setConfig({ testTimeout: 300_000 });
const { fresh } = caseFolders('pv-vault-age-');
const crashScript = fileURLToPath(new URL('../../test-support/vault-crash.ts', import.meta.url));
const keepLast = (count: number) => ({ keepLast: count, keepHourly: null, keepDaily: null, keepWeekly: null, keepMonthly: null, keepYearly: null, minAgeDays: null });
if (ageMissing) console.log(`skipping the encrypted vault's tests against the age CLI: ${ageMissing}`);

function newKey(dir: string, name = 'key.txt'): { identity: string; recipient: string; file: string } {
  const file = join(dir, name);
  execFileSync('age-keygen', ['-o', file], { stdio: 'ignore' });
  return { file, identity: readFileSync(file, 'utf8'), recipient: execFileSync('age-keygen', ['-y', file], { encoding: 'utf8' }).trim() };
}

/**
 * A WAL database holding `marker` in one of its rows among random ones: random bytes do
 * not compress, so zstd stores them as they are, and a plain vault has the marker in its file.
 */
function markedDatabase(path: string, marker: Buffer | string): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB NOT NULL)');
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  for (let i = 0; i < 200; i += 1) insert.run(i === 100 ? Buffer.from(marker) : randomBytes(700));
  db.close();
}

const metaOf = (vault: string, key: string) => {
  const db = new Database(join(vault, VAULT_FILE), { readonly: true });
  try {
    return db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(key) as string | undefined;
  } finally {
    db.close();
  }
};

describe.skipIf(!!ageMissing)('an encrypted vault', () => {
  it("keeps its data key as an armored age file that age -d opens; that key alone, as vault-store.ts describes, decrypts a block into the source's page 2", async () => {
    const dir = fresh();
    const key = newKey(dir);
    const source = join(dir, 'notes.db');
    markedDatabase(source, 'MARKER-4f1c');
    const vault = join(dir, 'vault');
    const added = await vaultBackup(source, vault, { encryption: { kind: 'x25519', recipient: key.recipient } });
    expect(added.version.id).toBe(1);
    const armored = metaOf(vault, 'dataKey')!;
    expect(armored).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n/);
    expect(metaOf(vault, 'recipient')).toBe(key.recipient);
    // Format 3, which a Pagevault that reads only plain vaults (format 2) refuses naming the update it needs.
    expect(metaOf(vault, 'formatVersion')).toBe('3');
    const dataKey = execFileSync('age', ['-d', '-i', key.file], { input: armored });
    expect(dataKey.length).toBe(32);

    // Independently of the vault's code: block 1 holds page 1 onward; nonce = id (u32 BE) + the 8 bytes before the ciphertext.
    const db = new Database(join(vault, VAULT_FILE), { readonly: true });
    const block = db.prepare('SELECT id, pages, page_size, data FROM block ORDER BY id LIMIT 1').get() as { id: number; pages: number; page_size: number; data: Buffer };
    db.close();
    const blockKey = Buffer.from(hkdfSync('sha256', dataKey, Buffer.alloc(0), 'pagevault-vault/v1 block', 32));
    const nonce = Buffer.alloc(12);
    nonce.writeUInt32BE(block.id, 0);
    block.data.copy(nonce, 4, 0, 8);
    const aad = Buffer.concat([Buffer.from('pagevault-vault/v1 block'), Buffer.alloc(16)]);
    aad.writeBigUInt64BE(BigInt(block.id), 24);
    aad.writeUInt32BE(block.pages, 32);
    aad.writeUInt32BE(block.page_size, 36);
    const decipher = createDecipheriv('chacha20-poly1305', blockKey, nonce, { authTagLength: 16 });
    decipher.setAAD(aad, { plaintextLength: block.data.length - 24 });
    decipher.setAuthTag(block.data.subarray(block.data.length - 16));
    const pages = zstdDecompressSync(Buffer.concat([decipher.update(block.data.subarray(8, block.data.length - 16)), decipher.final()]));
    const plain = rawSnapshot(source, dir);
    expect(pages.subarray(block.page_size, 2 * block.page_size).equals(plain.subarray(block.page_size, 2 * block.page_size))).toBe(true);
  });

  it('stores no page in the clear (a marker the database holds is nowhere in the vault folder, where a plain vault has it), nor keeps a plain copy of a rollback-journal source there', async () => {
    const dir = fresh();
    const key = newKey(dir);
    const marker = randomBytes(64);
    const wal = join(dir, 'wal.db');
    markedDatabase(wal, marker);
    const journal = join(dir, 'journal.db');
    markedDatabase(journal, marker);
    const db = new Database(journal);
    db.pragma('journal_mode = DELETE');
    db.close();
    const plainVault = join(dir, 'plain-vault');
    await vaultBackup(wal, plainVault);
    expect(readFileSync(join(plainVault, VAULT_FILE)).includes(marker)).toBe(true);
    for (const source of [wal, journal]) {
      const vault = join(dir, `vault-${source === wal ? 'wal' : 'journal'}`);
      const added = await vaultBackup(source, vault, { encryption: { kind: 'x25519', recipient: key.recipient } });
      expect(added.viaCopy).toBe(source === journal);
      expect(readdirSync(vault)).toEqual([VAULT_FILE]);
      expect(readFileSync(join(vault, VAULT_FILE)).includes(marker)).toBe(false);
      const target = join(dir, `back-${added.viaCopy}.db`);
      await vaultRestore(vault, 'latest', target, { keys: { age: [{ kind: 'identity', identity: key.identity }] } });
      expect(readFileSync(target).includes(marker)).toBe(true);
    }
  });

  it("a backup killed while it reads a rollback-journal source's plain copy leaves it in a temporary folder that the next backup removes; a running backup's folder, and one it cannot prove its own, stay", async () => {
    const dir = fresh();
    const key = newKey(dir);
    const marker = randomBytes(64);
    const source = join(dir, 'journal.db');
    markedDatabase(source, marker);
    const db = new Database(source);
    db.pragma('journal_mode = DELETE');
    db.close();
    const vault = join(dir, 'vault');
    const tmp = join(dir, 'tmp');
    mkdirSync(tmp);
    const env = { ...process.env, TMPDIR: tmp };
    // Not provably Pagevault's: no owner file.
    const foreign = join(tmp, 'pagevault-vault-source-foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'notes.txt'), 'kept');
    // Being written by a backup that runs (this process holds its lock).
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    const running = makePrivateFolder('pagevault-vault-source-');
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    try {
      const killed = spawnSync(process.execPath, [crashScript, 'backup', source, vault, 'snapshot', key.file], { encoding: 'utf8', env });
      expect(killed.signal, killed.stderr).toBe('SIGKILL');
      const left = readdirSync(tmp).filter((name) => ![basename(foreign), basename(running.path)].includes(name));
      expect(left).toHaveLength(1);
      const copies = readdirSync(join(tmp, left[0]!)).filter((name) => name.startsWith('source-copy-'));
      // What a kill leaves is the source in the clear: it must not stay.
      expect(copies.some((name) => readFileSync(join(tmp, left[0]!, name)).includes(marker))).toBe(true);

      const next = spawnSync(process.execPath, [crashScript, 'backup', source, vault, 'never', key.file], { encoding: 'utf8', env });
      expect(next.status, next.stderr).toBe(0);
      expect(readdirSync(tmp).sort()).toEqual([basename(foreign), basename(running.path)].sort());
      expect(readdirSync(foreign)).toEqual(['notes.txt']);
    } finally {
      running.remove();
    }
    expect(existsSync(running.path)).toBe(false);
  });

  it('random versions of 12, with random page changes by a writer between them, restore to exactly the pages of raw snapshots; with an identity and with a passphrase', async () => {
    const dir = fresh();
    const key = newKey(dir);
    for (const [name, encryption, keys] of [
      ['x25519', { kind: 'x25519' as const, recipient: key.recipient }, [{ kind: 'identity' as const, identity: key.identity }]],
      ['scrypt', { kind: 'passphrase' as const, passphrase: 'correct horse', logN: 12 }, [{ kind: 'passphrase' as const, passphrase: 'correct horse' }]],
    ] as const) {
      const source = join(dir, `live-${name}.db`);
      const vault = join(dir, `vault-${name}`);
      const writer = new PageWriter(source);
      const snapshots = new Map<number, Buffer>();
      let seed = 11;
      try {
        await writer.change(0, 1);
        for (let version = 1; version <= 12; version += 1) {
          if (version > 1) await writer.change(1 + (version % 7), (seed = (seed * 48271) % 2147483647));
          if ([1, 4, 7, 12].includes(version)) snapshots.set(version, rawSnapshot(source, dir));
          const added = await vaultBackup(source, vault, version === 1 ? { encryption } : { keys: [...keys] });
          expect(added.version.id).toBe(version);
          if (version > 1) expect(added.version.newPages).toBeLessThan(added.version.pageCount / 4);
        }
      } finally {
        await writer.close();
      }
      expect((await vaultList(vault)).encryptedTo).toBe(name === 'x25519' ? key.recipient : 'scrypt');
      for (const [version, expected] of snapshots) {
        const target = join(dir, `restored-${name}-${version}.db`);
        await vaultRestore(vault, String(version), target, { keys: { age: [...keys] } });
        expect(readFileSync(target).equals(expected)).toBe(true);
      }
      const verdict = await vaultVerify(vault, { keys: [...keys] });
      expect(verdict).toMatchObject({ ok: true, versions: 12 });
      expect(verdict.notChecked).toBeUndefined();
    }
  });

  it('of a database large enough to be read on two threads, stores keyed hashes from both (none a page\'s plain SHA-256); a second version shares every unchanged page, verifies and restores', async () => {
    const dir = fresh();
    const key = newKey(dir);
    const keys = [{ kind: 'identity' as const, identity: key.identity }];
    const source = join(dir, 'large.db');
    makeDatabase(source, { bytes: 40e6, journalMode: 'delete' });
    const vault = join(dir, 'large.vault');
    const first = await vaultBackup(source, vault, { encryption: { kind: 'x25519', recipient: key.recipient } });
    const db = new Database(source);
    db.prepare("UPDATE pairs_a SET v = 'changed' WHERE k = 1").run();
    db.close();
    const second = await vaultBackup(source, vault, { keys });
    expect(second.version.newPages).toBeLessThan(first.version.pageCount / 100);
    const stored = new Database(join(vault, VAULT_FILE), { readonly: true });
    const hashes = new Set(stored.prepare('SELECT hash FROM page').pluck().all().map((h) => (h as Buffer).toString('hex')));
    stored.close();
    const bytes = readFileSync(source);
    for (let page = 1; page < first.version.pageCount; page += 97) {
      expect(hashes.has(createHash('sha256').update(bytes.subarray(page * 4096, (page + 1) * 4096)).digest('hex'))).toBe(false);
    }
    expect(await vaultVerify(vault, { keys })).toMatchObject({ ok: true, versions: 2 });
    const target = join(dir, 'restored.db');
    await vaultRestore(vault, 'latest', target, { keys: { age: keys } });
    expect(readState(target)).toMatchObject({ integrity: 'ok', a: 100 });
  });

  it('a flipped byte in an encrypted block is found by verify and named by version and page; restoring that version fails and writes nothing', async () => {
    const dir = fresh();
    const key = newKey(dir);
    const keys: AgeKeyInput[] = [{ kind: 'identity', identity: key.identity }];
    const source = join(dir, 'live.db');
    const vault = join(dir, 'vault');
    const writer = new PageWriter(source);
    await writer.change(0, 1);
    await vaultBackup(source, vault, { encryption: { kind: 'x25519', recipient: key.recipient } });
    await writer.change(5, 3);
    await vaultBackup(source, vault, { keys });
    await writer.close();
    const store = new Database(join(vault, VAULT_FILE));
    const id = zstdDecompressSync(store.prepare('SELECT map FROM version WHERE id = 1').pluck().get() as Buffer).readUInt32LE(4);
    const block = store.prepare('SELECT id, data FROM block WHERE id = ?').get(Math.floor(id / 64)) as { id: number; data: Buffer };
    block.data[block.data.length >> 1]! ^= 0x10;
    store.prepare('UPDATE block SET data = ? WHERE id = ?').run(block.data, block.id);
    store.close();

    const verdict = await vaultVerify(vault, { keys });
    expect(verdict.ok).toBe(false);
    expect(verdict.problems.filter((p) => p.pageId === id).map((p) => [p.version, p.pageNumber])).toEqual([
      [1, 2],
      [2, 2],
    ]);
    expect(verdict.problems.find((p) => p.pageId === id)!.message).toBe(`version 1, page 2: stored page ${id} is in block ${block.id}, which fails authentication: its stored bytes were changed`);
    const target = join(dir, 'back.db');
    const failure = await failureOf(vaultRestore(vault, '1', target, { keys: { age: keys } }));
    expect(failure.code).toBe('CORRUPT');
    expect(failure.message).toContain(`block ${block.id}, which fails authentication`);
    expect(readdirSync(dir).filter((name) => name.startsWith('back.db'))).toEqual([]);
  });

  it("a page whose stored keyed hash was changed is named as not matching its keyed hash (not a SHA-256) by verify and restore; nothing is written", async () => {
    const dir = fresh();
    const key = newKey(dir);
    const keys: AgeKeyInput[] = [{ kind: 'identity', identity: key.identity }];
    const source = join(dir, 'live.db');
    const vault = join(dir, 'vault');
    const writer = new PageWriter(source);
    await writer.change(0, 1);
    await vaultBackup(source, vault, { encryption: { kind: 'x25519', recipient: key.recipient } });
    await writer.close();
    const store = new Database(join(vault, VAULT_FILE));
    const id = zstdDecompressSync(store.prepare('SELECT map FROM version WHERE id = 1').pluck().get() as Buffer).readUInt32LE(4);
    const block = store.prepare('SELECT id, digest, hashes FROM block WHERE id = ?').get(Math.floor(id / 64)) as { id: number; digest: Buffer; hashes: Buffer };
    // The block's own hash too, or it alone would vouch for every page in it.
    block.digest[0]! ^= 0x01;
    block.hashes[(id % 64) * 32]! ^= 0x01;
    store.prepare('UPDATE block SET digest = ?, hashes = ? WHERE id = ?').run(block.digest, block.hashes, block.id);
    store.close();

    const verdict = await vaultVerify(vault, { keys });
    expect(verdict.ok).toBe(false);
    expect(verdict.problems.find((p) => p.pageId === id)!.message).toMatch(new RegExp(`^version 1, page 2: stored page ${id} does not match its keyed hash `));
    const target = join(dir, 'back.db');
    const failure = await failureOf(vaultRestore(vault, '1', target, { keys: { age: keys } }));
    expect(failure.code).toBe('CORRUPT');
    expect(failure.message).toContain(`page 2 of version 1 (stored page ${id}) does not match its keyed hash`);
    expect(readdirSync(dir).filter((name) => name.startsWith('back.db'))).toEqual([]);
  });

  it('a missing key is KEY_NEEDED and a wrong one (another identity, a passphrase for an identity) WRONG_KEY, each naming the vault, and nothing is written', async () => {
    const dir = fresh();
    const key = newKey(dir);
    const other = newKey(dir, 'other.txt');
    const source = join(dir, 'live.db');
    markedDatabase(source, 'MARKER-1');
    const vault = join(dir, 'vault');
    await vaultBackup(source, vault, { encryption: { kind: 'x25519', recipient: key.recipient } });
    const before = readFileSync(join(vault, VAULT_FILE));
    const target = join(dir, 'back.db');
    const wrongs: Array<[AgeKeyInput[] | undefined, string]> = [
      [undefined, 'KEY_NEEDED'],
      [[{ kind: 'identity', identity: other.identity }], 'WRONG_KEY'],
      [[{ kind: 'passphrase', passphrase: key.identity }], 'WRONG_KEY'],
    ];
    for (const [keys, code] of wrongs) {
      const backup = await failureOf(vaultBackup(source, vault, keys ? { keys } : {}));
      expect([backup.code, backup.message]).toEqual([code, expect.stringContaining(`into the vault ${vault}`)]);
      const restore = await failureOf(vaultRestore(vault, '1', target, keys ? { keys: { age: keys } } : {}));
      expect([restore.code, restore.message]).toEqual([code, expect.stringContaining(`of the vault ${vault}`)]);
      if (keys) expect((await failureOf(vaultVerify(vault, { keys }))).code).toBe(code);
    }
    expect(readFileSync(join(vault, VAULT_FILE)).equals(before)).toBe(true);
    expect(readdirSync(vault)).toEqual([VAULT_FILE]);
    expect(readdirSync(dir).filter((name) => name.startsWith('back.db'))).toEqual([]);
  });

  it('is refused for a plain vault, as a plain one is for it, and to another recipient; nothing is written', async () => {
    const dir = fresh();
    const key = newKey(dir);
    const other = newKey(dir, 'other.txt');
    const source = join(dir, 'live.db');
    markedDatabase(source, 'MARKER-2');
    const plain = join(dir, 'plain');
    await vaultBackup(source, plain);
    const encrypted = join(dir, 'encrypted');
    await vaultBackup(source, encrypted, { encryption: { kind: 'x25519', recipient: key.recipient } });
    const keys: AgeKeyInput[] = [{ kind: 'identity', identity: key.identity }];
    const refused = [
      await failureOf(vaultBackup(source, plain, { encryption: { kind: 'x25519', recipient: key.recipient } })),
      await failureOf(vaultBackup(source, encrypted, { encryption: null, keys })),
      await failureOf(vaultBackup(source, encrypted, { encryption: { kind: 'x25519', recipient: other.recipient }, keys })),
    ];
    expect(refused.map((f) => f.code)).toEqual(['NOT_SUPPORTED', 'NOT_SUPPORTED', 'NOT_SUPPORTED']);
    expect(refused[0]!.message).toContain('this vault was made without encryption; choose a new backup folder or turn encryption off');
    expect(refused[1]!.message).toContain(`this vault is encrypted (to ${key.recipient}); choose a new backup folder or turn encryption on`);
    expect(refused[2]!.message).toContain(`encrypted to ${key.recipient}, not ${other.recipient}`);
    expect((await vaultList(plain)).versions).toHaveLength(1);
    expect((await vaultList(encrypted)).versions).toHaveLength(1);
  });

  it('restoring a version into an existing database takes an encrypted safety copy (to the vault\'s recipient), never a plain one beside it', async () => {
    const dir = fresh();
    const key = newKey(dir);
    const source = join(dir, 'live.db');
    markedDatabase(source, 'MARKER-3');
    const vault = join(dir, 'vault');
    await vaultBackup(source, vault, { encryption: { kind: 'x25519', recipient: key.recipient } });
    const restored = await vaultRestore(vault, '1', source, { keys: { age: [{ kind: 'identity', identity: key.identity }] } });
    expect(restored.safetyCopy).toMatch(/\.db\.age$/);
    const plain = join(dir, 'safety.db');
    execFileSync('age', ['-d', '-i', key.file, '-o', plain, restored.safetyCopy!]);
    const db = new Database(plain, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });

  it('prunes and deletes a version without a key; verify without one says what it could not check, and with the key passes', async () => {
    const dir = fresh();
    const key = newKey(dir);
    const keys: AgeKeyInput[] = [{ kind: 'identity', identity: key.identity }];
    const source = join(dir, 'live.db');
    const vault = join(dir, 'vault');
    const writer = new PageWriter(source);
    await writer.change(0, 1);
    const expected = new Map<number, Buffer>();
    try {
      for (let version = 1; version <= 5; version += 1) {
        if (version > 1) await writer.change(40, version);
        await vaultBackup(source, vault, version === 1 ? { encryption: { kind: 'x25519', recipient: key.recipient } } : { keys });
        expected.set(version, rawSnapshot(source, dir));
      }
    } finally {
      await writer.close();
    }
    const pruned = await vaultPrune(vault, keepLast(3));
    expect(pruned.removed.map((v) => v.id).sort()).toEqual([1, 2]);
    expect(pruned.freedPages).toBeGreaterThan(0);
    const deleted = await vaultDelete(vault, [3]);
    expect(deleted.removed.map((v) => v.id)).toEqual([3]);
    expect(deleted.freedPages).toBeGreaterThan(0);
    const keyless = await vaultVerify(vault);
    expect(keyless.ok).toBe(true);
    expect(keyless.notChecked).toEqual([expect.stringContaining(`the vault is encrypted to ${key.recipient}: without its key, the pages' contents`)]);
    const verdict = await vaultVerify(vault, { keys });
    expect(verdict).toMatchObject({ ok: true, versions: 2, problemCount: 0 });
    expect(verdict.notChecked).toBeUndefined();
    for (const version of [4, 5]) {
      const target = join(dir, `back-${version}.db`);
      await vaultRestore(vault, String(version), target, { keys: { age: keys } });
      expect(readFileSync(target).equals(expected.get(version)!)).toBe(true);
    }
  });
});
