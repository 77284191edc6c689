/**
 * The History screen: the filters, the page shown, and what the user does to an entry
 * (verify, pin, delete, import a folder). Actions live at module level, so the catalog
 * subscription reloads without a component; every failure is shown, none is dropped.
 */
import { create } from 'zustand';
import { notifications } from '@mantine/notifications';
import type { BackupRecord, HistoryPage, HistoryStatusFilter, ImportResult } from '../../../app/api/index.ts';
import { api } from '../api/client.ts';
import { versionName } from '../format.ts';

export const HISTORY_PAGE_SIZE = 50;

export interface HistoryState {
  databaseId: number | undefined;
  status: HistoryStatusFilter;
  /** 1-based. */
  page: number;
  /** Undefined until the first page arrives (the screen shows a skeleton). */
  history: HistoryPage | undefined;
  /** The backups being verified again, by id. */
  verifying: Record<number, true>;
  /** The entry whose delete is being confirmed. */
  deleting: BackupRecord | undefined;
  importing: boolean;
}

export const useHistoryStore = create<HistoryState>(() => ({ databaseId: undefined, status: 'all', page: 1, history: undefined, verifying: {}, deleting: undefined, importing: false }));

const set = (changes: Partial<HistoryState>) => useHistoryStore.setState(changes);
const get = () => useHistoryStore.getState();
const fail = (title: string, caught: unknown) => notifications.show({ color: 'red', title, message: (caught as Error).message });

/** The screen is shown: only then does a history change cost a reload. */
let shown = false;
/** Each reload's number: an answer to an older query than the latest is dropped. */
let requested = 0;

/** Loads the page the filters name; says so when it cannot. */
export async function reloadHistory(): Promise<void> {
  const { databaseId, status, page } = get();
  const request = ++requested;
  try {
    const history = await api.call('history.list', { databaseId, status, offset: (page - 1) * HISTORY_PAGE_SIZE, limit: HISTORY_PAGE_SIZE });
    if (request === requested) set({ history });
  } catch (caught) {
    if (request === requested) fail('Cannot load the history', caught);
  }
}

/** The History screen opened (true) or closed (false). */
export function showHistory(visible: boolean): void {
  shown = visible;
  if (visible) void reloadHistory();
}

/** Filters by database (undefined: all) and status, from the first page. */
export function filterHistory(filter: { databaseId?: number | undefined; status?: HistoryStatusFilter }): void {
  set({ ...filter, page: 1 });
  void reloadHistory();
}

export function showHistoryPage(page: number): void {
  set({ page });
  void reloadHistory();
}

/** What a passed verify checked: a version's vault checks the pages of all its versions, and runs no quick_check. */
function verifiedMessage(entry: BackupRecord): string {
  if (entry.version) return `${versionName(entry.version)} verified: every page of every version in ${entry.version.vault} matched its hash.`;
  return `${entry.path} passed quick_check and matches its SHA-256.`;
}

/** Verifies a backup again and tells how it went. */
export async function verifyBackup(entry: BackupRecord): Promise<void> {
  set({ verifying: { ...get().verifying, [entry.id]: true } });
  try {
    const result = await api.call('history.verify', { backupId: entry.id });
    if (result.verification === 'passed') notifications.show({ color: 'teal', title: 'Backup verified', message: verifiedMessage(entry) });
    else notifications.show({ color: 'red', title: 'Backup damaged', message: result.verificationProblems.join('\n'), autoClose: false });
  } catch (caught) {
    fail('Cannot verify', caught);
  } finally {
    const { [entry.id]: _done, ...rest } = get().verifying;
    set({ verifying: rest });
  }
}

export async function pinBackup(entry: BackupRecord, pinned: boolean): Promise<void> {
  try {
    await api.call('history.pin', { backupId: entry.id, pinned });
  } catch (caught) {
    fail(pinned ? 'Not pinned' : 'Not unpinned', caught);
  }
}

/** Asks to confirm deleting `entry` (undefined: the dialog closes). */
export function confirmDelete(entry: BackupRecord | undefined): void {
  set({ deleting: entry });
}

/** Deletes the entry being confirmed; true when it is gone. */
export async function deleteConfirmed(): Promise<boolean> {
  const entry = get().deleting;
  if (!entry) return false;
  try {
    const { deleted } = await api.call('history.delete', { backupId: entry.id });
    if (entry.version) {
      notifications.show({ title: 'Version deleted', message: deleted.length > 0 ? `Deleted version ${entry.version.id} from ${entry.version.vault}` : 'It was no longer in its vault; the entry was removed from the history.' });
    } else {
      notifications.show({ title: 'Backup deleted', message: deleted.length > 0 ? `Deleted ${deleted.join(' and ')}` : 'The entry was removed from the history.' });
    }
    set({ deleting: undefined });
    return true;
  } catch (caught) {
    fail('Not deleted', caught);
    return false;
  }
}

export function openImport(opened: boolean): void {
  set({ importing: opened });
}

/** Imports a folder of backups, says what came in, and closes the dialog; throws what went wrong (shown at the field). */
export async function importBackups(folder: string): Promise<ImportResult> {
  const result = await api.call('history.import', { folder });
  const known = result.alreadyKnown > 0 ? `; ${result.alreadyKnown} were already listed` : '';
  notifications.show({ color: 'teal', title: `Imported ${result.imported} backups`, message: `From ${result.folder}${known}.${result.problems.length ? ` Skipped: ${result.problems.join('; ')}` : ''}` });
  set({ importing: false });
  return result;
}

/** Follows the history while the screen is shown, and again after a reconnect. */
export function startHistoryStore(): void {
  api.on('catalog.changed', ({ topic }) => {
    if (shown && topic === 'history') void reloadHistory();
  });
  api.onConnection((state) => {
    if (shown && state === 'open') void reloadHistory();
  });
}
