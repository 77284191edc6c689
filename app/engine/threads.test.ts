/**
 * The engine's threads (its worker, the age sealer, the vault's page reader) start in a
 * process run as `node --input-type=module -e …`, whose --input-type a thread may not have,
 * and in one run with V8's options, which a thread may not be given.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { caseFolders } from '../../test-support/unit.ts';
import { makeDatabase } from '../../test-support/databases.ts';

const { fresh } = caseFolders('pv-threads-');
const module = (name: string) => JSON.stringify(new URL(name, import.meta.url).href);

describe('a process started with --input-type=module -e', () => {
  it('backs up encrypted at rest through the engine’s worker and the sealing thread, and adds a vault version', () => {
    const dir = fresh();
    const source = join(dir, 'notes.db');
    makeDatabase(source, { bytes: 20e6 });
    const script = `
      const { backup, vaultBackup } = await import(${module('./index.ts')});
      const { generateAgeIdentity } = await import(${module('../age/keys.ts')});
      const sealed = await backup(${JSON.stringify(source)}, ${JSON.stringify(join(dir, 'notes.db.age'))}, { encryption: { kind: 'x25519', recipient: generateAgeIdentity().recipient } });
      const version = await vaultBackup(${JSON.stringify(source)}, ${JSON.stringify(join(dir, 'notes.vault'))});
      console.log(sealed.manifest.encryption.format, version.version.id);`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('age 1');
    expect(existsSync(join(dir, 'notes.db.age'))).toBe(true);
  });
});

describe('a process started with V8 options a thread cannot take', () => {
  it('backs up (encrypted at rest too) and adds a vault version, its threads inheriting what they can', () => {
    const dir = fresh();
    const source = join(dir, 'notes.db');
    makeDatabase(source, { bytes: 20e6 });
    const script = join(dir, 'run.ts');
    writeFileSync(
      script,
      `
      const { backup, vaultBackup } = await import(${module('./index.ts')});
      const { generateAgeIdentity } = await import(${module('../age/keys.ts')});
      const plain = await backup(${JSON.stringify(source)}, ${JSON.stringify(join(dir, 'notes-copy.db'))});
      const sealed = await backup(${JSON.stringify(source)}, ${JSON.stringify(join(dir, 'notes.db.age'))}, { encryption: { kind: 'x25519', recipient: generateAgeIdentity().recipient } });
      const version = await vaultBackup(${JSON.stringify(source)}, ${JSON.stringify(join(dir, 'notes.vault'))});
      console.log(plain.manifest.verification.verdict, sealed.manifest.encryption.format, version.version.id);`,
    );
    const run = spawnSync(process.execPath, ['--max-old-space-size=512', '--stack-size=2000', script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('passed age 1');
  });
});
