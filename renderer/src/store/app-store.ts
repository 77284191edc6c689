/** App-wide UI state: the current screen, the connection to the core, the core's info. */
import { create } from 'zustand';
import type { AppInfo } from '../../../app/api/index.ts';
import { api, type ConnectionState } from '../api/client.ts';
import { loadInBackground } from './background-loads.ts';
import { screenFromHash, type Screen } from './screens.ts';

interface AppState {
  screen: Screen;
  connection: ConnectionState;
  /** Why the connection ended or was refused, when the host said so. */
  connectionDetail: string | undefined;
  appInfo: AppInfo | undefined;
}

export const useAppStore = create<AppState>(() => ({
  screen: screenFromHash(location.hash),
  connection: 'connecting',
  connectionDetail: undefined,
  appInfo: undefined,
}));

/** Shows `screen` and records it in the address, so reload and back keep the place. */
export function navigate(screen: Screen): void {
  if (screenFromHash(location.hash) !== screen || location.hash === '') location.hash = `#/${screen}`;
  useAppStore.setState({ screen });
}

/** Wires routing and the connection state once, at start-up. */
export function startAppStore(): void {
  window.addEventListener('hashchange', () => useAppStore.setState({ screen: screenFromHash(location.hash) }));
  api.onConnection((connection, connectionDetail) => {
    useAppStore.setState({ connection, connectionDetail });
    if (connection === 'open' && !useAppStore.getState().appInfo) {
      void loadInBackground("Pagevault's version and folders", () => api.call('app.info', {}).then((appInfo) => useAppStore.setState({ appInfo })));
    }
  });
}
