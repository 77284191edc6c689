/** The "Find databases on this computer" panel: scan, pick, add; module-level actions. */
import { create } from 'zustand';
import type { DiscoveryResult } from '../../../app/api/index.ts';
import { api } from '../api/client.ts';
import { addDatabases } from './database-actions.ts';
import { isSelectable } from './discovery-selectors.ts';

interface DiscoveryState {
  open: boolean;
  scanning: boolean;
  result: DiscoveryResult | undefined;
  error: string | undefined;
  /** Paths the user ticked. */
  selected: Record<string, true>;
  adding: boolean;
  /** Paths added from this result (the next scan says so too). */
  added: Set<string>;
  /** Why each refused file was refused. */
  addFailures: string[];
  /** Encrypted files picked to add, whose key is asked for one at a time, first first. */
  needKey: Array<{ path: string; label: string }>;
}

export const useDiscoveryStore = create<DiscoveryState>(() => ({
  open: false,
  scanning: false,
  result: undefined,
  error: undefined,
  selected: {},
  adding: false,
  added: new Set(),
  addFailures: [],
  needKey: [],
}));

let scanNumber = 0;

/** Opens the panel and looks for databases; a scan started later wins over one still under way. */
export async function scanForDatabases(): Promise<void> {
  const mine = (scanNumber += 1);
  useDiscoveryStore.setState({ open: true, scanning: true, error: undefined, addFailures: [] });
  try {
    const result = await api.call('databases.discover', {});
    if (mine !== scanNumber) return;
    useDiscoveryStore.setState({ scanning: false, result, selected: {}, added: new Set() });
  } catch (caught) {
    if (mine !== scanNumber) return;
    useDiscoveryStore.setState({ scanning: false, error: (caught as Error).message });
  }
}

export function closeDiscovery(): void {
  scanNumber += 1;
  useDiscoveryStore.setState({ open: false, scanning: false });
}

export function toggleSelected(path: string, on: boolean): void {
  useDiscoveryStore.setState((s) => {
    const selected = { ...s.selected };
    if (on) selected[path] = true;
    else delete selected[path];
    return { selected };
  });
}

/** Adds the ticked files under their suggested names; the refused ones stay ticked, with why. */
export async function addSelected(): Promise<void> {
  const { result, selected, added } = useDiscoveryStore.getState();
  if (!result) return;
  const picks = result.databases.filter((d) => selected[d.path] && isSelectable(d, added));
  if (picks.length === 0) return;
  useDiscoveryStore.setState({ adding: true, addFailures: [] });
  const { otherFailures, addedPaths, needKey } = await addDatabases(picks.map((d) => ({ path: d.path, label: d.suggestedLabel })));
  // An encrypted file is not refused: its key is asked for (DatabaseKeyFields).
  const asked = picks.filter((d) => needKey.includes(d.path)).map((d) => ({ path: d.path, label: d.suggestedLabel }));
  useDiscoveryStore.setState((s) => {
    const nowSelected = { ...s.selected };
    for (const path of addedPaths) delete nowSelected[path];
    return { adding: false, addFailures: otherFailures, added: new Set([...s.added, ...addedPaths]), selected: nowSelected, needKey: asked };
  });
}

/** The first encrypted file whose key was asked for is done with: added (`added`) or passed over. */
export function keyAsked(path: string, added: boolean): void {
  useDiscoveryStore.setState((s) => {
    const selected = { ...s.selected };
    if (added) delete selected[path];
    return { needKey: s.needKey.filter((d) => d.path !== path), selected, added: added ? new Set([...s.added, path]) : s.added };
  });
}
