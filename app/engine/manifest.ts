/** The JSON manifest beside each backup file. */
import { open } from 'node:fs/promises';
import { z } from 'zod';
import { READ_NONBLOCKING } from './database-files.ts';
import { cipherNames, type BackupManifest } from '../api/types.ts';
import { writeFileAtomic } from './partial-file.ts';

/** The manifest path of a backup file: `<file>.manifest.json`. */
export function manifestPathOf(backupPath: string): string {
  return `${backupPath}.manifest.json`;
}

/** Writes the manifest atomically beside the backup, as readable as the backup (`mode`) and no more. */
export async function writeManifest(backupPath: string, manifest: BackupManifest, mode: number): Promise<string> {
  const path = manifestPathOf(backupPath);
  await writeFileAtomic(path, `${JSON.stringify(manifest, null, 2)}\n`, mode);
  return path;
}

/** How large a manifest may be; anything larger is not one of Pagevault's. */
const MANIFEST_MAX_BYTES = 1 << 20;

const time = z.string().refine((value) => !Number.isNaN(Date.parse(value)), { error: 'a date and time' });
const count = z.number({ error: 'a number' }).int({ error: 'a whole number' }).min(0, { error: 'a whole number from 0 up' });

/**
 * What a manifest must hold for the history and a restore to rely on it. It comes from a
 * user's folder, so every field is checked: a missing or mistyped one would otherwise
 * surface later as a crash far from the file that caused it.
 */
const manifestSchema = z.object({
  format: z.literal('pagevault-backup', { error: '"pagevault-backup"' }),
  formatVersion: z.literal(1, { error: '1' }),
  file: z.string({ error: 'a file name' }),
  source: z.string({ error: 'the path of the database' }).min(1, { error: 'the path of the database' }),
  startedAt: time,
  finishedAt: time,
  mode: z.enum(['snapshot', 'stepped', 'compact'], { error: 'snapshot, stepped or compact' }),
  sourceJournalMode: z.enum(['delete', 'truncate', 'persist', 'memory', 'wal', 'off'], { error: 'a journal mode' }),
  pageSize: count,
  pageCount: count,
  bytes: count,
  sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'a hex SHA-256' }).nullable(),
  sqliteVersion: z.string({ error: 'a SQLite version' }),
  restarts: count,
  verification: z.object(
    {
      verdict: z.enum(['passed', 'failed', 'skipped'], { error: 'passed, failed or skipped' }),
      check: z.enum(['quick_check', 'integrity_check'], { error: 'quick_check, integrity_check or null' }).nullable(),
      problems: z.array(z.string(), { error: 'a list of problems' }),
    },
    { error: 'an object with verdict, check and problems' },
  ),
  heldCopy: z
    .object(
      {
        journal: z.enum(['wal', 'rollback'], { error: '"wal" or "rollback"' }),
        tries: z.number({ error: 'a whole number from 1 up' }).int({ error: 'a whole number from 1 up' }).min(1, { error: 'a whole number from 1 up' }),
        consistentUpTo: z.string({ error: 'a description of a commit' }).trim().min(1, { error: 'a description of a commit' }),
      },
      { error: 'an object with journal, tries and consistentUpTo' },
    )
    .optional(),
  sourceEncryption: z
    .object(
      {
        cipher: z.enum([...cipherNames, 'unknown'], { error: `one of ${cipherNames.join(', ')}, unknown` }),
        cipherLabel: z.string({ error: 'the name of a cipher' }),
        keyed: z.boolean({ error: 'true or false' }).optional(),
      },
      { error: 'an object with cipher, cipherLabel and keyed' },
    )
    .optional(),
  encryption: z
    .object(
      {
        format: z.literal('age', { error: '"age"' }),
        recipient: z.string({ error: 'an age1… recipient or "scrypt"' }).min(1, { error: 'an age1… recipient or "scrypt"' }),
        plaintextSha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'a hex SHA-256' }).nullable(),
        plaintextBytes: count,
      },
      { error: 'an object with format, recipient, plaintextSha256 and plaintextBytes' },
    )
    .optional(),
  // Says how the file was made, not what it holds: a word a later version may add is read
  // as unknown rather than costing the backup its manifest.
  copyMethod: z.enum(['cloned', 'copied']).optional().catch(undefined),
}) satisfies z.ZodType<BackupManifest>;

/** A manifest read from disk: the manifest, or why it cannot be used. */
export type ManifestReading = { manifest: BackupManifest } | { problem: string };

/**
 * Checks the text of a manifest. The problem names the first field that is wrong, what
 * it holds and what it should hold ("its verification is missing, not an object with
 * verdict, check and problems"), so the person who edited or damaged it can fix it.
 */
export function parseManifest(text: string): ManifestReading {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { problem: `it is not JSON (${(error as Error).message})` };
  }
  if (typeof value !== 'object' || value === null || (value as { format?: unknown }).format !== 'pagevault-backup') {
    return { problem: 'not a Pagevault manifest (no "format": "pagevault-backup")' };
  }
  const parsed = manifestSchema.safeParse(value, { reportInput: true });
  if (parsed.success) return { manifest: parsed.data };
  const issue = parsed.error.issues[0]!;
  const field = issue.path.map(String).join('.');
  const held = issue.input === undefined ? 'missing' : JSON.stringify(issue.input);
  return { problem: `its ${field} is ${held}, not ${issue.message}` };
}

/**
 * Reads and checks the manifest beside `backupPath`; undefined when there is none.
 * Opened without waiting and read only when it is a regular file of a sensible size: a
 * named pipe there would otherwise hold a file-system thread forever.
 */
export async function loadManifest(backupPath: string): Promise<ManifestReading | undefined> {
  let text: string;
  try {
    const handle = await open(manifestPathOf(backupPath), READ_NONBLOCKING);
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) return { problem: 'it is not a regular file' };
      if (stats.size > MANIFEST_MAX_BYTES) return { problem: `it is ${stats.size} bytes, larger than any manifest Pagevault writes` };
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return { problem: `it cannot be read (${(error as Error).message})` };
  }
  return parseManifest(text);
}

/** The manifest beside `backupPath`, or undefined when there is none or it does not pass `parseManifest`. */
export async function readManifest(backupPath: string): Promise<BackupManifest | undefined> {
  const reading = await loadManifest(backupPath);
  return reading && 'manifest' in reading ? reading.manifest : undefined;
}
