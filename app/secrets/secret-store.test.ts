/** The secret store keeps keys where only the user (or the OS keychain) can read them, and nowhere else. */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Core } from '../core/core.ts';
import { callCore } from '../../test-support/core-calls.ts';
import { KEY_FILE_NAME, keyFileStore, SEALED_FILE_NAME, sealedStore, type Seal, type SecretStore } from './secret-store.ts';

const root = mkdtempSync(join(tmpdir(), 'pv-secrets-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => {
  n += 1;
  const dir = join(root, `case-${n}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
};
const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);
const codeOf = async (promise: Promise<unknown>) => promise.then(() => 'no error', (error: { code?: string; message: string }) => ({ code: error.code, message: error.message }));

/** A real seal, as the OS keychain gives one: AES-256-GCM under a key this process keeps. */
function aesSeal(): Seal {
  const key = randomBytes(32);
  return {
    encrypt(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]);
    },
    decrypt(sealed) {
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
      decipher.setAuthTag(sealed.subarray(12, 28));
      return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]);
    },
  };
}

const secret = Buffer.from(JSON.stringify({ key: 'correct horse battery staple', cipher: 'sqlcipher', kind: 'passphrase' }));

/** Every file under `dir`, recursively, whose bytes contain `needle`. */
function filesHolding(dir: string, needle: Buffer): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((path) => readFileSync(path).includes(needle));
}

describe.each([
  ['keyFileStore', (dir: string) => keyFileStore(dir), KEY_FILE_NAME],
  ['sealedStore', (dir: string) => sealedStore(dir, aesSeal()), SEALED_FILE_NAME],
] as const)('%s', (_name, make: (dir: string) => SecretStore, fileName) => {
  it('round-trips secrets by id, keeps the others when one is set or deleted, and answers undefined for an unknown id', async () => {
    const dir = freshDir();
    const store = make(dir);
    expect(await store.get('source-key:1')).toBeUndefined();
    await store.set('source-key:1', secret);
    await store.set('age-identity:default', Buffer.from('AGE-SECRET-KEY-1QQQ'));
    expect(await store.get('source-key:1')).toEqual(secret);
    await store.set('source-key:1', Buffer.from([0, 255, 1, 254]));
    expect(await store.get('source-key:1')).toEqual(Buffer.from([0, 255, 1, 254]));
    await store.delete('source-key:1');
    expect(await store.get('source-key:1')).toBeUndefined();
    expect((await store.get('age-identity:default'))?.toString()).toBe('AGE-SECRET-KEY-1QQQ');
    await store.delete('source-key:404');
  });

  it('writes its file 0600 whatever the umask, and replaces it by rename, leaving no temp file', async () => {
    const dir = freshDir();
    const store = make(dir);
    const umask = process.umask(0o022);
    try {
      await store.set('source-key:1', secret);
      const path = join(dir, fileName);
      expect(modeOf(path)).toBe('600');
      const before = statSync(path).ino;
      await store.set('source-key:2', secret);
      expect(statSync(path).ino).not.toBe(before); // a new file renamed over the old, never rewritten in place
      expect(modeOf(path)).toBe('600');
      expect(readdirSync(dir)).toEqual([fileName]);
    } finally {
      process.umask(umask);
    }
  });

  it('concurrent sets in one process all land', async () => {
    const store = make(freshDir());
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.set(`source-key:${i}`, Buffer.from(`key ${i}`))));
    const values = await Promise.all(Array.from({ length: 20 }, (_, i) => store.get(`source-key:${i}`)));
    expect(values.map((v) => v?.toString())).toEqual(Array.from({ length: 20 }, (_, i) => `key ${i}`));
  });

  it('a failed write (disk full) leaves the keys it held unchanged and no temp file', async (context) => {
    const dir = freshDir();
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1M', 'tmpfs', dir], { stdio: 'pipe' });
    } catch (error) {
      console.log(`Skipped: a disk-full write needs a small tmpfs, and mount failed here (${(error as Error).message.split('\n')[0]})`);
      context.skip();
    }
    try {
      const store = make(dir);
      await store.set('source-key:1', secret);
      const before = readFileSync(join(dir, fileName));
      const failure = await codeOf(store.set('source-key:2', randomBytes(2 * 1024 * 1024)));
      expect(failure).toMatchObject({ code: 'DISK_FULL', message: expect.stringContaining(`${join(dir, fileName)}`) });
      expect(readFileSync(join(dir, fileName))).toEqual(before);
      expect(readdirSync(dir)).toEqual([fileName]);
      expect(await store.get('source-key:1')).toEqual(secret);
    } finally {
      execFileSync('umount', [dir]);
    }
  });

  it('a damaged file is named, its content never quoted', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, fileName), '{"version":1,"secrets":{"source-key:1":"hunter2', { mode: 0o600 });
    const failure = await codeOf(make(dir).get('source-key:1'));
    expect(failure).toMatchObject({ code: 'CORRUPT', message: expect.stringContaining(join(dir, fileName)) });
    expect((failure as { message: string }).message).not.toContain('hunter2');
  });

  it('refuses an id that is not <kind>:<id> and an empty secret', async () => {
    const store = make(freshDir());
    expect(await codeOf(store.set('../etc/passwd', secret))).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(await codeOf(store.set('source-key:1', Buffer.alloc(0)))).toMatchObject({ code: 'INVALID_REQUEST' });
  });
});

describe('keyFileStore', () => {
  it('refuses to read a key file others can read, and names the fix', async () => {
    const dir = freshDir();
    const store = keyFileStore(dir);
    await store.set('source-key:1', secret);
    const path = join(dir, KEY_FILE_NAME);
    chmodSync(path, 0o644);
    const failure = await codeOf(store.get('source-key:1'));
    expect(failure).toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringContaining(`other users can read the key file ${path} (mode 0644)`) });
    expect((failure as { message: string }).message).toContain(`chmod 600 ${path}`);
    // Nor does it write over it, which would hide the problem.
    expect(await codeOf(store.set('source-key:2', secret))).toMatchObject({ code: 'PERMISSION_DENIED' });
    chmodSync(path, 0o640);
    expect(await codeOf(store.get('source-key:1'))).toMatchObject({ code: 'PERMISSION_DENIED' });
    chmodSync(path, 0o600);
    expect(await store.get('source-key:1')).toEqual(secret);
  });
});

describe('sealedStore', () => {
  it('keeps only sealed bytes on disk, which another seal cannot open', async () => {
    const dir = freshDir();
    await sealedStore(dir, aesSeal()).set('source-key:1', secret);
    expect(filesHolding(dir, Buffer.from('correct horse'))).toEqual([]);
    expect(filesHolding(dir, Buffer.from(secret.toString('base64')))).toEqual([]);
    const failure = await codeOf(sealedStore(dir, aesSeal()).get('source-key:1'));
    expect(failure).toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringContaining('the system keychain cannot unseal it') });
  });
});

it('a core keeps its keys in the key file of its data folder by default, and nothing secret in the catalog or beside it', async () => {
  const dataDir = join(freshDir(), 'data');
  const core = new Core({ dataDir, shell: 'web' });
  try {
    expect(core.secrets.kind).toBe('key-file');
    await core.secrets.set('source-key:1', secret);
    await callCore(core, 'settings.update', { notifyOnSuccess: true });
  } finally {
    await core.close();
  }
  expect(existsSync(join(dataDir, KEY_FILE_NAME))).toBe(true);
  expect(modeOf(join(dataDir, KEY_FILE_NAME))).toBe('600');
  expect(filesHolding(dataDir, Buffer.from('correct horse')).filter((path) => !path.endsWith(KEY_FILE_NAME))).toEqual([]);
  // The data folder's own entries include the key file: it is Pagevault's, and kept 0700.
  const reopened = new Core({ dataDir, shell: 'web' });
  try {
    expect(await reopened.secrets.get('source-key:1')).toEqual(secret);
  } finally {
    await reopened.close();
  }
});
