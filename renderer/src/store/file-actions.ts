/** What the UI does with a file's path: show it in the file manager (desktop), or copy it. */
import { notifications } from '@mantine/notifications';
import { api } from '../api/client.ts';

/** Copies `path` to the clipboard; when the browser refuses, shows it to copy by hand. */
export async function copyPath(path: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(path);
    notifications.show({ title: 'Path copied', message: path });
  } catch {
    notifications.show({ color: 'yellow', title: 'Could not copy; here is the path', message: path, autoClose: false });
  }
}

/** Shows the file in the system's file manager in the desktop app; copies its path in a browser. */
export async function showOrCopyPath(path: string): Promise<void> {
  if (api.shell !== 'electron') return copyPath(path);
  try {
    await api.call('files.reveal', { path });
  } catch (caught) {
    notifications.show({ color: 'red', title: 'Cannot show the file', message: (caught as Error).message });
  }
}
