/** How the "Find databases on this computer" panel reads a discovery: pure, tested on their own. */
import type { DiscoveredDatabase } from '../../../app/api/index.ts';

/** Whether the user can pick `d` to add: a SQLite file, or an encrypted one (its key is asked for as it is added), not yet in Pagevault. */
export function isSelectable(d: DiscoveredDatabase, addedPaths: ReadonlySet<string>): boolean {
  return (d.format === 'sqlite' || d.format === 'encrypted') && !d.registered && !addedPaths.has(d.path);
}

/** The found databases by app, apps in the order found (already sorted by the core), files kept in order. */
export function groupByApp(databases: DiscoveredDatabase[]): Array<{ app: string; databases: DiscoveredDatabase[] }> {
  const groups = new Map<string, DiscoveredDatabase[]>();
  for (const d of databases) groups.set(d.app, [...(groups.get(d.app) ?? []), d]);
  return [...groups].map(([app, list]) => ({ app, databases: list }));
}

/** The label of the Add button: "Add selected (3)". */
export function addSelectedLabel(count: number): string {
  return count === 0 ? 'Add selected' : `Add selected (${count})`;
}
