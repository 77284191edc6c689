/** What a user does in the UI, as steps tests share: add a database, watch a bar, drop files. */
import type { Page } from '@playwright/test';

export async function addDatabase(app: Page, path: string): Promise<void> {
  await app.getByRole('textbox', { name: 'Add a database' }).fill(path);
  await app.getByRole('button', { name: 'Add', exact: true }).click();
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
