/**
 * Find databases on this computer: the host runs with a fake home folder holding real
 * databases where Firefox, Zotero, Anki, Calibre and Signal keep them; the user scans,
 * picks two, adds them, and finds them in the list under their readable names.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDatabase } from '../test-support/databases.ts';
import { makeEncryptedDatabase } from '../test-support/encrypted-databases.ts';
import type { Page } from '@playwright/test';
import { expect, saveScreenshot, test } from './fixtures.ts';

const home = mkdtempSync(join(tmpdir(), 'pv-e2e-home-'));
const at = (...parts: string[]) => {
  const path = join(home, ...parts);
  mkdirSync(join(path, '..'), { recursive: true });
  return path;
};
makeDatabase(at('.mozilla', 'firefox', 'abcd1234.default-release', 'places.sqlite'), { bytes: 300_000 });
makeDatabase(at('.mozilla', 'firefox', 'abcd1234.default-release', 'cookies.sqlite'), { journalMode: 'delete' });
writeFileSync(at('.mozilla', 'firefox', 'profiles.ini'), '[Profile0]\nName=default-release\nIsRelative=1\nPath=abcd1234.default-release\n');
makeDatabase(at('Zotero', 'zotero.sqlite'), { bytes: 1_200_000 });
makeDatabase(at('.local', 'share', 'Anki2', 'User 1', 'collection.anki2'));
// A library in a deep folder: its path is cut in the middle, whole in the tooltip.
makeDatabase(at('Documents', 'Books and papers', 'Collected over the years', 'A library with a very long name', 'metadata.db'), { journalMode: 'delete' });
writeFileSync(at('.config', 'calibre', 'gui.json'), JSON.stringify({ library_usage_stats: { [join(home, 'Documents', 'Books and papers', 'Collected over the years', 'A library with a very long name')]: 1 } }));
// Signal's database is SQLCipher 4, as Signal Desktop writes it.
makeEncryptedDatabase(at('.config', 'Signal', 'sql', 'db.sqlite'), 'the key in Signal config.json', { journalMode: 'delete' });
test.afterAll(() => rmSync(home, { recursive: true, force: true }));

test.use({ hostEnv: { HOME: home, XDG_CONFIG_HOME: '', XDG_DATA_HOME: '' } });

/** Another program holding `path` as Anki does (locking_mode=EXCLUSIVE, after a write); resolves once it holds it. */
async function holdExclusively(path: string): Promise<() => void> {
  const script = "import sqlite3, sys\ndb = sqlite3.connect(sys.argv[1], isolation_level=None)\ndb.execute('PRAGMA locking_mode=EXCLUSIVE')\ndb.execute('CREATE TABLE IF NOT EXISTS held (x)')\nprint('ready', flush=True)\nsys.stdin.read()\n";
  const child = spawn('python3', ['-c', script, path], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('ready\n')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`python3 exited with ${code}: ${output}`)));
  });
  return () => child.kill();
}

test('find databases from the empty state, add two, see them in the list by name', async ({ app }) => {
  const release = await holdExclusively(join(home, '.local', 'share', 'Anki2', 'User 1', 'collection.anki2'));
  try {
    await findAndAdd(app);
  } finally {
    release();
  }
});

async function findAndAdd(app: Page) {
  await app.getByRole('button', { name: 'Find databases on this computer' }).click();
  const panel = app.getByRole('region', { name: 'Find databases on this computer' });
  await expect(panel.getByRole('table', { name: 'Databases of Anki' })).toContainText('In use by the app');
  const firefox = panel.getByRole('table', { name: 'Databases of Firefox' });
  await expect(firefox.getByRole('row')).toHaveCount(3);
  await expect(firefox.getByRole('row', { name: /Firefox · default-release · places/ })).toContainText('WAL');
  await expect(firefox.getByRole('row', { name: /Firefox · default-release · cookies/ })).toContainText('Rollback');
  await expect(panel.getByRole('table', { name: 'Databases of Zotero' })).toContainText('1.2 MB');

  // Signal's database is there, marked and explained, and can be picked (its key is asked for).
  const signal = panel.getByRole('table', { name: 'Databases of Signal' });
  await expect(signal).toContainText('Encrypted');
  await expect(signal).toContainText('Add it with its key');
  await expect(signal.getByRole('checkbox')).toBeEnabled();

  const add = panel.getByRole('button', { name: /^Add selected/ });
  await expect(add).toBeDisabled();
  // By keyboard: tick the places database with the space bar.
  await panel.getByRole('checkbox', { name: 'Add Firefox · default-release · places' }).focus();
  await app.keyboard.press('Space');
  await panel.getByRole('checkbox', { name: 'Add Zotero · zotero' }).check();
  await expect(add).toHaveText('Add selected (2)');
  await saveScreenshot(app, 'discovery-found');
  await add.click();

  const list = app.getByRole('table', { name: 'Databases', exact: true });
  await expect(list.getByRole('row', { name: /Firefox · default-release · places/ })).toBeVisible();
  await expect(list.getByRole('row', { name: /Zotero · zotero/ })).toBeVisible();
  await expect(list.getByRole('row')).toHaveCount(3);
  const places = panel.getByRole('checkbox', { name: 'Add Firefox · default-release · places' });
  await expect(places).toBeDisabled();
  await expect(firefox.getByRole('row', { name: /places/ })).toContainText('Added');
  await expect(add).toHaveText('Add selected');

  // A scan again knows them from the catalog.
  await panel.getByRole('button', { name: 'Scan again' }).click();
  await expect(panel.getByRole('table', { name: 'Databases of Zotero' })).toContainText('Added');
  await expect(panel.getByRole('checkbox', { name: 'Add Zotero · zotero' })).toBeDisabled();
  await saveScreenshot(app, 'discovery-added');
}

test("Signal's encrypted database: picked, its key asked for in the panel, added without it", async ({ app }) => {
  await app.getByRole('button', { name: 'Find databases on this computer' }).click();
  const panel = app.getByRole('region', { name: 'Find databases on this computer' });
  await panel.getByRole('checkbox', { name: 'Add Signal · db' }).check();
  await panel.getByRole('button', { name: 'Add selected (1)' }).click();
  const keyForm = panel.getByRole('form', { name: 'Key of the encrypted database' });
  await expect(keyForm).toContainText(`${join(home, '.config', 'Signal', 'sql', 'db.sqlite')} is encrypted. Enter its key to add it`);
  await expect(panel.getByRole('alert')).toHaveCount(0);
  await saveScreenshot(app, 'discovery-signal-key');
  await keyForm.getByRole('button', { name: 'Add without key' }).click();
  await expect(keyForm).toBeHidden();
  await expect(app.getByRole('table', { name: 'Databases', exact: true }).getByRole('row', { name: /Signal · db/ })).toBeVisible();
  await expect(panel.getByRole('table', { name: 'Databases of Signal' })).toContainText('Added');
  await expect(panel.getByRole('checkbox', { name: 'Add Signal · db' })).toBeDisabled();
});

test.describe('dark theme', () => {
  test.use({ colorScheme: 'dark' });
  test('the panel reads well in dark mode, long paths cut with the whole path on hover', async ({ app }) => {
    await app.getByRole('button', { name: 'Find databases on this computer' }).click();
    const panel = app.getByRole('region', { name: 'Find databases on this computer' });
    const calibre = panel.getByRole('table', { name: 'Databases of Calibre' });
    const long = join(home, 'Documents', 'Books and papers', 'Collected over the years', 'A library with a very long name', 'metadata.db');
    const path = calibre.getByLabel(long);
    await expect(path).toContainText('…');
    await path.hover();
    await expect(app.getByRole('tooltip')).toHaveText(long);
    await saveScreenshot(app, 'discovery-dark');
  });
});

test.describe('a home folder without any known app', () => {
  const empty = mkdtempSync(join(tmpdir(), 'pv-e2e-empty-home-'));
  test.afterAll(() => rmSync(empty, { recursive: true, force: true }));
  test.use({ hostEnv: { HOME: empty, XDG_CONFIG_HOME: '', XDG_DATA_HOME: '' } });
  test('says where it looked', async ({ app }) => {
    await app.getByRole('button', { name: 'Find databases on this computer' }).click();
    await expect(app.getByRole('region', { name: 'Find databases on this computer' }).getByRole('status')).toHaveText(`No databases of known apps were found under ${empty}.`);
  });
});
