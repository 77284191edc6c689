/** Things the user does to databases from several places: add, back up, and report how it went. */
import { notifications } from '@mantine/notifications';
import type { CipherName, JobFinished } from '../../../app/api/index.ts';
import { api } from '../api/client.ts';
import { reloadDatabasesInBackground, useCatalogStore } from './catalog-store.ts';
import { startAllBackups, startBackup } from './jobs-store.ts';

/**
 * Adds each path (under its label when one is given); resolves to the error message of
 * each one that was refused and the paths that were added.
 */
export async function addDatabases(paths: Array<string | { path: string; label: string }>): Promise<{ failures: string[]; addedPaths: string[]; needKey: string[]; otherFailures: string[] }> {
  const failures: string[] = [];
  /** The failures but those of encrypted files, whose key can still be asked for. */
  const otherFailures: string[] = [];
  const needKey: string[] = [];
  const added: string[] = [];
  const addedPaths: string[] = [];
  for (const item of paths) {
    const params = typeof item === 'string' ? { path: item } : item;
    try {
      added.push((await api.call('databases.add', params)).label);
      addedPaths.push(params.path);
    } catch (caught) {
      failures.push((caught as Error).message);
      // Encrypted: the add form asks for its key.
      if ((caught as { code?: string }).code === 'ENCRYPTED') needKey.push(params.path);
      else otherFailures.push((caught as Error).message);
    }
  }
  if (added.length > 0) {
    await reloadDatabasesInBackground();
    notifications.show({ color: 'teal', title: added.length === 1 ? `Added ${added[0]}` : `Added ${added.length} databases`, message: 'Press Backup now to take the first backup.' });
  }
  return { failures, addedPaths, needKey, otherFailures };
}

/**
 * Adds an encrypted database with its key (checked by the core before it keeps it);
 * resolves to the refusal's message, or undefined once added.
 */
export async function addEncryptedDatabase(path: string, key: string, cipher: CipherName | 'detect', label?: string): Promise<string | undefined> {
  try {
    const added = await api.call('databases.add', { path, key: { key, cipher }, ...(label && { label }) });
    await reloadDatabasesInBackground();
    notifications.show({ color: 'teal', title: `Added ${added.label}`, message: 'Its key is kept by Pagevault, never in the catalog. Press Backup now to take the first backup.' });
    return undefined;
  } catch (caught) {
    return (caught as Error).message;
  }
}

/**
 * Adds an encrypted database without its key: its backups are raw copies of its encrypted
 * pages, which Pagevault checks by their SHA-256 only. Resolves like addEncryptedDatabase.
 */
export async function addEncryptedDatabaseWithoutKey(path: string, label?: string): Promise<string | undefined> {
  try {
    const added = await api.call('databases.add', { path, withoutKey: true, ...(label && { label }) });
    await reloadDatabasesInBackground();
    notifications.show({ color: 'teal', title: `Added ${added.label} without its key`, message: 'Its backups are raw copies: Pagevault checks their SHA-256, not what is inside. Press Backup now to take the first backup.' });
    return undefined;
  } catch (caught) {
    return (caught as Error).message;
  }
}

/** Starts a backup; a refusal (one already running, database gone) shows as a notification. */
export async function backupNow(databaseId: number): Promise<void> {
  try {
    await startBackup(databaseId);
  } catch (caught) {
    notifications.show({ color: 'red', title: 'Backup not started', message: (caught as Error).message });
  }
}

export async function backupAllNow(): Promise<void> {
  try {
    const { started, refused } = await startAllBackups(useCatalogStore.getState().databases.map((database) => database.id));
    if (refused.length > 0) {
      notifications.show({ color: 'yellow', title: `Started ${started.length} backups; ${refused.length} not started`, message: refused.map((r) => r.message).join('\n') });
    }
  } catch (caught) {
    notifications.show({ color: 'red', title: 'Backups not started', message: (caught as Error).message });
  }
}

/** The in-app notification when a backup ends. */
export function notifyFinished(finished: JobFinished): void {
  if (finished.kind !== 'backup' || finished.cancelled || finished.backup?.status === 'skipped') return;
  if (finished.error?.code === 'DEFERRED') {
    // Not a fault: the History shows every deferred run; a schedule's would only be noise here.
    if (finished.backup?.trigger === 'schedule') return;
    notifications.show({ id: `backup-${finished.databaseId}`, color: 'indigo', title: `Backup of ${finished.label} deferred`, message: finished.error.message, autoClose: 10_000 });
  } else if (finished.ok) {
    const verified = finished.backup?.verification === 'passed' ? ' and verified' : '';
    notifications.show({ id: `backup-${finished.databaseId}`, color: 'teal', title: `${finished.label} backed up${verified}`, message: finished.backup?.path ?? '', autoClose: 5000 });
  } else {
    notifications.show({ id: `backup-${finished.databaseId}`, color: 'red', title: `Backup of ${finished.label} failed`, message: finished.error?.message ?? 'Unknown error', autoClose: false });
  }
}
