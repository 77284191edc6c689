/** Where Pagevault keeps its catalog and default backups when no --data-dir is given. */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The platform's per-user data directory for Pagevault. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Pagevault');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Pagevault');
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'pagevault');
}
