/** Finding the databases of well-known apps on this computer. */
export { discoverDatabases, suggestedLabel, userFolders, type DiscoveryOptions } from './discover.ts';
export { fileKeyOf, parseProcLocks } from './held-files.ts';
