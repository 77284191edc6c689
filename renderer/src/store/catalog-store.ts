/** What the catalog holds that several screens show: the databases and the settings. */
import { create } from 'zustand';
import { notifications } from '@mantine/notifications';
import type { DatabaseSummary, Settings } from '../../../app/api/index.ts';
import { api } from '../api/client.ts';
import { loadInBackground } from './background-loads.ts';

interface CatalogState {
  databases: DatabaseSummary[];
  /** False until the first list has arrived (the screen shows a skeleton, not "no databases"). */
  databasesLoaded: boolean;
  /** Why the last load of the list failed; undefined once one succeeds. */
  databasesError: string | undefined;
  settings: Settings | undefined;
  /** Bumped whenever the history changed, so the screens showing it reload. */
  historyVersion: number;
}

export const useCatalogStore = create<CatalogState>(() => ({ databases: [], databasesLoaded: false, databasesError: undefined, settings: undefined, historyVersion: 0 }));

/**
 * Reloads the database list after a change, saying so when it fails; before the first list
 * arrived, the screens listing databases show the failure themselves.
 */
export function reloadDatabasesInBackground(): Promise<void> {
  return loadInBackground('the databases', reloadDatabases, { shownElsewhere: () => !useCatalogStore.getState().databasesLoaded });
}

/** Reloads the database list from the core; rejects when it could not. */
export async function reloadDatabases(): Promise<void> {
  try {
    const databases = await api.call('databases.list', {});
    useCatalogStore.setState({ databases, databasesLoaded: true, databasesError: undefined });
  } catch (error) {
    useCatalogStore.setState({ databasesError: error instanceof Error ? error.message : String(error) });
    throw error;
  }
}

async function reloadSettings(): Promise<void> {
  useCatalogStore.setState({ settings: await api.call('settings.get', {}) });
}

/**
 * Loads the catalog when connected and follows its changes; says so, and stays on screen
 * until dismissed, when the core could not write the catalog outside a request (another
 * program holds it locked, or it is damaged).
 */
export function startCatalogStore(): void {
  api.on('catalog.problem', (problem) => {
    notifications.show({ color: 'red', title: 'Pagevault could not write its catalog', message: problem.message, autoClose: false });
  });
  api.on('catalog.changed', ({ topic }) => {
    if (topic === 'databases') void reloadDatabasesInBackground();
    if (topic === 'settings') void loadInBackground('the settings', reloadSettings);
    if (topic === 'history') useCatalogStore.setState((s) => ({ historyVersion: s.historyVersion + 1 }));
  });
  api.onConnection((state) => {
    if (state !== 'open') return;
    void reloadDatabasesInBackground();
    void loadInBackground('the settings', reloadSettings);
    useCatalogStore.setState((s) => ({ historyVersion: s.historyVersion + 1 }));
  });
}
