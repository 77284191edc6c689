// The age format against the real `age` 1.1.1 CLI, both directions, X25519 and scrypt,
// and every damaged or mismatched input; memory bounded on a stream far larger than a chunk.
import { describe, expect, it, vi } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AGE_CHUNK, AgeDecryptor, AgeEncryptor, encryptFile as encryptFileBlocks, type StreamHashes } from './age-stream.ts';
import { generateAgeIdentity, parseIdentityText, parsePassphraseText, parseRecipient, recipientOfIdentity, type AgeIdentity, type AgeRecipient } from './keys.ts';
import { bech32Decode, bech32Encode } from './bech32.ts';
import { ageMissing, caseFolders, failureOf } from '../../test-support/unit.ts';

// Each SQLCipher 4 key costs 256,000 PBKDF2 rounds and each age passphrase an scrypt at 2^18:
// a test of a dozen keyed opens needs minutes on a loaded 2-core machine, not the default minute.
vi.setConfig({ testTimeout: 300_000 });

const { fresh } = caseFolders('pv-age-');

const scriptMissing = spawnSync('script', ['--version']).status !== 0 ? 'script(1) is not installed (Debian package bsdutils), needed to give age a passphrase on a terminal' : '';
if (ageMissing) console.log(`skipping the age CLI round trips: ${ageMissing}`);

async function encryptFile(input: string, output: string, recipients: AgeRecipient[]): Promise<StreamHashes> {
  const encryptor = new AgeEncryptor(recipients);
  await pipeline(createReadStream(input), encryptor, createWriteStream(output));
  return encryptor.hashes();
}

async function decryptFile(input: string, output: string, identities: AgeIdentity[]): Promise<StreamHashes> {
  const decryptor = new AgeDecryptor(identities, `Cannot open ${input}`);
  await pipeline(createReadStream(input), decryptor, createWriteStream(output));
  return decryptor.hashes();
}

/** Runs `age` on a pseudo-terminal (age reads passphrases only from one), typing `typed`. */
function ageOnTerminal(args: string[], typed: string): void {
  const command = ['age', ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  execFileSync('script', ['-qec', command, '/dev/null'], { input: typed, stdio: ['pipe', 'ignore', 'pipe'] });
}

const sizes = [0, 1, AGE_CHUNK - 1, AGE_CHUNK, AGE_CHUNK + 1, 3 * AGE_CHUNK, 200_000];

describe('bech32 keys', () => {
  it('encodes and decodes age keys, and refuses a changed character', () => {
    const data = randomBytes(32);
    const text = bech32Encode('age', data);
    expect(bech32Decode(text)?.data.equals(data)).toBe(true);
    const changed = text.slice(0, 10) + (text[10] === 'q' ? 'p' : 'q') + text.slice(11);
    expect(bech32Decode(changed)).toBeUndefined();
  });

  it.skipIf(!!ageMissing)('an identity Pagevault generates has the recipient age-keygen -y derives from it', () => {
    const dir = fresh();
    const { identity, recipient } = generateAgeIdentity();
    writeFileSync(join(dir, 'key.txt'), `${identity}\n`);
    expect(execFileSync('age-keygen', ['-y', join(dir, 'key.txt')], { encoding: 'utf8' }).trim()).toBe(recipient);
    expect(recipientOfIdentity(identity)).toBe(recipient);
  });
});

describe.skipIf(!!ageMissing)('round trips with the age CLI', () => {
  it.each(sizes)('a %i-byte file Pagevault encrypts to an X25519 recipient decrypts with age -d -i', async (size) => {
    const dir = fresh();
    const plain = randomBytes(size);
    writeFileSync(join(dir, 'plain'), plain);
    const { identity, recipient } = generateAgeIdentity();
    writeFileSync(join(dir, 'key.txt'), `${identity}\n`, { mode: 0o600 });
    const hashes = await encryptFile(join(dir, 'plain'), join(dir, 'file.age'), [parseRecipient(recipient, 'the recipient')]);
    const out = execFileSync('age', ['-d', '-i', join(dir, 'key.txt'), join(dir, 'file.age')], { maxBuffer: 1 << 24 });
    expect(out.equals(plain)).toBe(true);
    expect(hashes.ciphertextSha256).toBe(execFileSync('sha256sum', [join(dir, 'file.age')], { encoding: 'utf8' }).split(' ')[0]);
  });

  // 64 chunks make one block of encryptFile: its edges, and a file of several blocks.
  const blockSizes = [0, 1, AGE_CHUNK, 64 * AGE_CHUNK - 1, 64 * AGE_CHUNK, 64 * AGE_CHUNK + 1, 2 * 64 * AGE_CHUNK, 3 * 64 * AGE_CHUNK + 12_345];
  it.each(blockSizes)('a %i-byte file encrypted block by block (the backup path) decrypts with age -d -i to the same bytes, and its SHA-256 is the file\'s', async (size) => {
    const dir = fresh();
    const plain = randomBytes(size);
    writeFileSync(join(dir, 'plain'), plain);
    writeFileSync(join(dir, 'file.age'), '');
    const { identity, recipient } = generateAgeIdentity();
    writeFileSync(join(dir, 'key.txt'), `${identity}\n`, { mode: 0o600 });
    const input = await open(join(dir, 'plain'), 'r');
    const output = await open(join(dir, 'file.age'), 'r+');
    const progress: number[] = [];
    let sha256: string;
    try {
      sha256 = await encryptFileBlocks(input, size, output, [parseRecipient(recipient, 'the recipient')], (done) => progress.push(done));
    } finally {
      await input.close();
      await output.close();
    }
    const out = execFileSync('age', ['-d', '-i', join(dir, 'key.txt'), join(dir, 'file.age')], { maxBuffer: 1 << 25 });
    expect(out.equals(plain)).toBe(true);
    expect(sha256).toBe(execFileSync('sha256sum', [join(dir, 'file.age')], { encoding: 'utf8' }).split(' ')[0]);
    expect(progress.at(-1)).toBe(size);
  });

  it('encrypting block by block stops at the first throw from the progress callback and fails on a file shorter than said', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'plain'), randomBytes(3 * 64 * AGE_CHUNK));
    writeFileSync(join(dir, 'file.age'), '');
    const recipient = parseRecipient(generateAgeIdentity().recipient, 'the recipient');
    const input = await open(join(dir, 'plain'), 'r');
    const output = await open(join(dir, 'file.age'), 'r+');
    try {
      const calls: number[] = [];
      const stopping = encryptFileBlocks(input, 3 * 64 * AGE_CHUNK, output, [recipient], (done) => {
        calls.push(done);
        throw new Error('cancelled');
      });
      await expect(stopping).rejects.toThrow('cancelled');
      expect(calls).toEqual([64 * AGE_CHUNK]);
      await expect(encryptFileBlocks(input, 4 * 64 * AGE_CHUNK, output, [recipient])).rejects.toThrow(`the file ended at ${3 * 64 * AGE_CHUNK} bytes`);
    } finally {
      await input.close();
      await output.close();
    }
  });

  it.each(sizes)('a %i-byte file age -e -r encrypted decrypts in Pagevault', async (size) => {
    const dir = fresh();
    const plain = randomBytes(size);
    writeFileSync(join(dir, 'plain'), plain);
    execFileSync('age-keygen', ['-o', join(dir, 'key.txt')], { stdio: 'ignore' });
    const recipient = execFileSync('age-keygen', ['-y', join(dir, 'key.txt')], { encoding: 'utf8' }).trim();
    execFileSync('age', ['-e', '-r', recipient, '-o', join(dir, 'file.age'), join(dir, 'plain')]);
    await decryptFile(join(dir, 'file.age'), join(dir, 'out'), parseIdentityText(readFileSync(join(dir, 'key.txt'), 'utf8'), 'key.txt'));
    expect(readFileSync(join(dir, 'out')).equals(plain)).toBe(true);
  });

  it('a file encrypted to two recipients opens with either identity, in age and in Pagevault', async () => {
    const dir = fresh();
    const plain = randomBytes(100_000);
    writeFileSync(join(dir, 'plain'), plain);
    const a = generateAgeIdentity();
    const b = generateAgeIdentity();
    writeFileSync(join(dir, 'b.txt'), `# second\n${b.identity}\n`);
    await encryptFile(join(dir, 'plain'), join(dir, 'file.age'), [parseRecipient(a.recipient, 'a'), parseRecipient(b.recipient, 'b')]);
    expect(execFileSync('age', ['-d', '-i', join(dir, 'b.txt'), join(dir, 'file.age')], { maxBuffer: 1 << 24 }).equals(plain)).toBe(true);
    await decryptFile(join(dir, 'file.age'), join(dir, 'out'), parseIdentityText(a.identity, 'a'));
    expect(readFileSync(join(dir, 'out')).equals(plain)).toBe(true);
  });

  it.skipIf(!!scriptMissing)('a passphrase file Pagevault encrypts (scrypt) decrypts with age -d and the passphrase typed', async () => {
    const dir = fresh();
    const plain = randomBytes(150_000);
    writeFileSync(join(dir, 'plain'), plain);
    await encryptFile(join(dir, 'plain'), join(dir, 'file.age'), [{ kind: 'scrypt', passphrase: Buffer.from('correct horse battery staple'), logN: 14 }]);
    ageOnTerminal(['-d', '-o', join(dir, 'out'), join(dir, 'file.age')], 'correct horse battery staple\n');
    expect(readFileSync(join(dir, 'out')).equals(plain)).toBe(true);
  });

  it.skipIf(!!scriptMissing)('a file age -p encrypted with a passphrase decrypts in Pagevault with that passphrase, and not with another', async () => {
    const dir = fresh();
    const plain = randomBytes(150_000);
    writeFileSync(join(dir, 'plain'), plain);
    ageOnTerminal(['-p', '-o', join(dir, 'file.age'), join(dir, 'plain')], 'hunter2 is long\nhunter2 is long\n');
    writeFileSync(join(dir, 'pass.txt'), 'hunter2 is long\n');
    const passphrase = parsePassphraseText(readFileSync(join(dir, 'pass.txt'), 'utf8'), 'pass.txt');
    await decryptFile(join(dir, 'file.age'), join(dir, 'out'), [{ kind: 'scrypt', passphrase }]);
    expect(readFileSync(join(dir, 'out')).equals(plain)).toBe(true);
    const wrong = await failureOf(decryptFile(join(dir, 'file.age'), join(dir, 'out2'), [{ kind: 'scrypt', passphrase: Buffer.from('hunter3') }]));
    expect(wrong.code).toBe('WRONG_KEY');
    expect(wrong.message).toContain(join(dir, 'file.age'));
    expect(wrong.message).toContain('wrong passphrase');
  });
});

describe('bad input', () => {
  async function encrypted(size: number) {
    const dir = fresh();
    writeFileSync(join(dir, 'plain'), randomBytes(size));
    const keys = generateAgeIdentity();
    await encryptFile(join(dir, 'plain'), join(dir, 'file.age'), [parseRecipient(keys.recipient, 'r')]);
    return { dir, file: join(dir, 'file.age'), identities: parseIdentityText(keys.identity, 'k') };
  }
  const headerLength = (file: string) => readFileSync(file).indexOf('\n--- ') + 1 + 48 + 16;

  it('a file cut short at a chunk boundary, in the header or before the payload is TRUNCATED; inside a chunk it cannot be told from a change and says both; each names the file', async () => {
    const { dir, file, identities } = await encrypted(3 * AGE_CHUNK + 100);
    const whole = readFileSync(file);
    const header = headerLength(file);
    const cuts: Array<[number, string]> = [[header + 2 * (AGE_CHUNK + 16), 'TRUNCATED'], [30, 'TRUNCATED'], [header - 16, 'TRUNCATED'], [header + AGE_CHUNK + 16 + 500, 'CORRUPT']];
    for (const [length, code] of cuts) {
      writeFileSync(join(dir, 'cut.age'), whole.subarray(0, length));
      const error = await failureOf(decryptFile(join(dir, 'cut.age'), join(dir, 'out'), identities));
      expect(error.code, `${length}: ${error.message}`).toBe(code);
      expect(error.message).toContain(join(dir, 'cut.age'));
      expect(error.message).toContain('cut short');
    }
  });

  it('a changed payload byte, a changed header byte, or bytes appended are CORRUPT', async () => {
    const { dir, file, identities } = await encrypted(2 * AGE_CHUNK + 10);
    const whole = readFileSync(file);
    const header = headerLength(file);
    const flip = (at: number) => {
      const copy = Buffer.from(whole);
      copy[at] = copy[at]! ^ 1;
      return copy;
    };
    const cases: Array<[string, Buffer]> = [
      ['payload', flip(header + AGE_CHUNK + 100)],
      ['last chunk', flip(whole.length - 3)],
      ['header', flip(whole.indexOf('\n--- ') - 3)],
      ['appended', Buffer.concat([whole, Buffer.from('x')])],
    ];
    for (const [what, bytes] of cases) {
      writeFileSync(join(dir, 'bad.age'), bytes);
      const error = await failureOf(decryptFile(join(dir, 'bad.age'), join(dir, 'out'), identities));
      expect(['CORRUPT', 'WRONG_KEY'], `${what}: ${error.message}`).toContain(error.code);
      if (what !== 'header') expect(error.code, what).toBe('CORRUPT');
      expect(error.message).toContain(join(dir, 'bad.age'));
    }
  });

  it('a wrong identity is WRONG_KEY; a passphrase for an X25519 file and an identity for a passphrase file say which is needed', async () => {
    const { dir, file } = await encrypted(1000);
    const other = parseIdentityText(generateAgeIdentity().identity, 'other');
    const wrong = await failureOf(decryptFile(file, join(dir, 'out'), other));
    expect(wrong.code).toBe('WRONG_KEY');
    expect(wrong.message).toMatch(/identity given does not open it/);
    const passphrase = await failureOf(decryptFile(file, join(dir, 'out'), [{ kind: 'scrypt', passphrase: Buffer.from('x') }]));
    expect(passphrase.code).toBe('WRONG_KEY');
    expect(passphrase.message).toMatch(/give its age identity/);
    writeFileSync(join(dir, 'plain2'), 'hello');
    await encryptFile(join(dir, 'plain2'), join(dir, 'pw.age'), [{ kind: 'scrypt', passphrase: Buffer.from('pw'), logN: 10 }]);
    const identity = await failureOf(decryptFile(join(dir, 'pw.age'), join(dir, 'out'), other));
    expect(identity.code).toBe('WRONG_KEY');
    expect(identity.message).toMatch(/encrypted with a passphrase/);
    const none = await failureOf(decryptFile(join(dir, 'pw.age'), join(dir, 'out'), []));
    expect(none.code).toBe('KEY_NEEDED');
  });

  it('a passphrase file given as an identity, a public key as an identity and an identity as a passphrase are refused with what they are', () => {
    expect(() => parseIdentityText('my secret passphrase\n', '/home/ana/pass.txt')).toThrow(/\/home\/ana\/pass\.txt is not an age identity file .*looks like a passphrase/);
    expect(() => parseIdentityText(`${generateAgeIdentity().recipient}\n`, 'pub.txt')).toThrow(/public key/);
    expect(() => parsePassphraseText(`${generateAgeIdentity().identity}\n`, 'id.txt')).toThrow(/holds an age identity, not a passphrase/);
    expect(() => parseRecipient(generateAgeIdentity().identity, '--encrypt-to')).toThrow(/is an age identity \(a secret key\), not a recipient/);
    expect(() => parseRecipient('age1nope', '--encrypt-to')).toThrow(/not an age X25519 recipient/);
  });

  it('a file that is not age, and an armored one, are refused by what they are', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'plain.age'), 'SQLite format 3\0 and so on');
    expect((await failureOf(decryptFile(join(dir, 'plain.age'), join(dir, 'out'), []))).message).toMatch(/not an age-encrypted file/);
    writeFileSync(join(dir, 'armored.age'), '-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n');
    expect((await failureOf(decryptFile(join(dir, 'armored.age'), join(dir, 'out'), []))).code).toBe('NOT_SUPPORTED');
  });
});

describe('memory', () => {
  it('encrypting and decrypting 256 MiB buffers at most a chunk or two beyond the streams: RSS grows far less than 150 MB', async () => {
    const total = 256 << 20;
    const block = randomBytes(1 << 20);
    const keys = generateAgeIdentity();
    const encryptor = new AgeEncryptor([parseRecipient(keys.recipient, 'r')]);
    const decryptor = new AgeDecryptor(parseIdentityText(keys.identity, 'k'), 'memory test');
    let produced = 0;
    const source = new Readable({
      read() {
        if (produced >= total) return void this.push(null);
        produced += block.length;
        this.push(block);
      },
    });
    globalThis.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    let received = 0;
    let maxBuffered = 0;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        received += chunk.length;
        peak = Math.max(peak, process.memoryUsage().rss);
        // Structural bound: what the two transforms hold in their queues stays a few chunks.
        maxBuffered = Math.max(maxBuffered, encryptor.readableLength + encryptor.writableLength + decryptor.readableLength + decryptor.writableLength);
        callback();
      },
    });
    await pipeline(source, encryptor, decryptor, sink);
    expect(received).toBe(total);
    expect(maxBuffered).toBeLessThan(4 << 20);
    expect(peak - before).toBeLessThan(150 << 20);
    expect(decryptor.hashes().plaintextSha256).toBe(encryptor.hashes().plaintextSha256);
  });
});
