/** What a user does in the UI, as steps tests share: add a database, watch a bar, drop files, seed a history. */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Page } from '@playwright/test';
import type { BackupManifest } from '../app/api/index.ts';
import { Catalog, entryWithoutFile } from '../app/catalog/index.ts';
import { defaultSettings } from '../app/core/core.ts';

export async function addDatabase(app: Page, path: string): Promise<void> {
  await app.getByRole('textbox', { name: 'Add a database' }).fill(path);
  await app.getByRole('button', { name: 'Add', exact: true }).click();
}

/**
 * Switches the database `label` to Copies in its drawer and saves: a database of 64 MiB or
 * more whose backup folder does not clone is kept as Versions by default.
 */
export async function keepAsCopies(app: Page, label: string): Promise<void> {
  await app.getByRole('button', { name: `Details of ${label}` }).click();
  const details = app.getByRole('region', { name: `Details of ${label}` });
  const choice = details.getByRole('radiogroup', { name: 'Keep backups as' });
  await expect(choice.getByRole('radio', { name: 'Versions' })).toBeChecked();
  await choice.getByText('Copies', { exact: true }).click();
  await expect(choice.getByRole('radio', { name: 'Copies' })).toBeChecked();
  await details.getByRole('button', { name: 'Save settings' }).click();
  await expect(app.getByText(`Backups of ${label} go to`)).toBeVisible();
  await app.keyboard.press('Escape');
}

/** Records every value the named progress bar shows, from the moment it is called. */
export async function recordProgress(app: Page, name: string): Promise<() => Promise<number[]>> {
  await app.evaluate((label) => {
    const seen: number[] = [];
    (window as unknown as { __progress: number[] }).__progress = seen;
    const read = () => {
      for (const bar of document.querySelectorAll(`[role="progressbar"][aria-label="${label}"]`)) {
        const value = Number(bar.getAttribute('aria-valuenow'));
        if (seen.at(-1) !== value) seen.push(value);
      }
    };
    new MutationObserver(read).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'] });
  }, name);
  return () => app.evaluate(() => (window as unknown as { __progress: number[] }).__progress);
}

/** A file to drop: its name and bytes. */
export interface DropFile {
  name: string;
  bytes: Buffer;
}

/**
 * Drags `files` over the window as a user would (dragenter, dragover) and, unless
 * `hold` is set, drops them on the element at `target` (default: the middle of the window).
 */
export async function dragFiles(app: Page, files: DropFile[], options: { at?: { x: number; y: number } } = {}): Promise<{ drop: () => Promise<void> }> {
  const transfer = await app.evaluateHandle((list) => {
    const data = new DataTransfer();
    for (const { name, base64 } of list) {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      data.items.add(new File([bytes], name));
    }
    return data;
  }, files.map((file) => ({ name: file.name, base64: file.bytes.toString('base64') })));
  const size = app.viewportSize() ?? { width: 1280, height: 720 };
  const point = options.at ?? { x: size.width / 2, y: size.height / 2 };
  const fire = (type: string) =>
    app.evaluate(
      ({ type, point, data }) => {
        const target = document.elementFromPoint(point.x, point.y) ?? document.body;
        target.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, clientX: point.x, clientY: point.y, dataTransfer: data }));
      },
      { type, point, data: transfer },
    );
  await fire('dragenter');
  await fire('dragover');
  return { drop: () => fire('drop') };
}

/**
 * Seeds a history with one backup of each kind: a backup through the UI, one imported from
 * a folder whose manifest says it was copied while held, and a deferred run written into the
 * catalog as the core records one; resolves to the deferred run's message.
 */
export async function seedHeldAndDeferred(app: Page, chinookPath: string, host: { dataDir: string; workDir: string }): Promise<string> {
  await addDatabase(app, chinookPath);
  await app.getByRole('button', { name: 'Backup now: chinook' }).click();
  await expect(app.getByRole('group', { name: 'Backup of chinook' }).getByRole('status')).toHaveText('Backup complete');

  // A folder with a copy of that backup whose manifest says it was taken while the database was held.
  const folder = join(host.dataDir, 'backups', 'chinook');
  const backup = readdirSync(folder).find((name) => /^chinook-\d{8}-\d{6}\.db$/.test(name))!;
  const manifest = JSON.parse(readFileSync(join(folder, `${backup}.manifest.json`), 'utf8')) as BackupManifest;
  const held = join(host.workDir, 'held');
  mkdirSync(held);
  const name = 'chinook-20261130-090000.db';
  copyFileSync(join(folder, backup), join(held, name));
  const startedAt = new Date(Date.now() - 3_600_000);
  writeFileSync(
    join(held, `${name}.manifest.json`),
    JSON.stringify({
      ...manifest,
      file: name,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date(startedAt.getTime() + 1_400).toISOString(),
      heldCopy: { journal: 'wal', tries: 2, consistentUpTo: 'WAL commit frame 1,234 of checkpoint 7' },
    }),
  );

  // A deferred run, as the core records one when the engine defers (the engine here never does on demand).
  const message = recordDeferredRun(host.dataDir, chinookPath, { trigger: 'manual', durationMs: 2_000 });

  await app.getByRole('link', { name: 'History' }).click();
  await app.getByRole('button', { name: 'Import backups from folder…' }).click();
  await app.getByRole('textbox', { name: 'Folder' }).fill(held);
  await app.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(app.getByRole('alert').filter({ hasText: 'Imported 1 backups' })).toBeVisible();
  return message;
}

/**
 * Writes a deferred run of the registered database `path` into the catalog of `dataDir`, as
 * the core records one when the engine defers (which it never does on demand), and with
 * `schedule` a daily schedule beside it; resolves to the run's message. The host does not
 * hear of it: reload the page to see it.
 */
export function recordDeferredRun(dataDir: string, path: string, run: { trigger: 'manual' | 'schedule'; durationMs: number; schedule?: boolean }): string {
  const message = `Deferred: another program kept writing to ${path} while it was copied; tried 12 times, and the next run tries again`;
  const catalog = new Catalog(dataDir, defaultSettings(dataDir));
  try {
    const database = catalog.databases.findByPath(path)!;
    if (run.schedule) catalog.schedules.set(database.id, { spec: { kind: 'daily', time: '03:00' }, enabled: true, skipIfUnchanged: true }, new Date());
    const now = new Date();
    catalog.backups.insert(
      entryWithoutFile({
        databaseId: database.id,
        databaseLabel: database.label,
        source: database.path,
        status: 'deferred',
        trigger: run.trigger,
        mode: database.mode,
        startedAt: now.toISOString(),
        finishedAt: new Date(now.getTime() + run.durationMs).toISOString(),
        durationMs: run.durationMs,
        error: { code: 'DEFERRED', message },
      }),
    );
  } finally {
    catalog.close();
  }
  return message;
}
