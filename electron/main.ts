/**
 * The Electron main process: one hardened window, the native menu, the single-instance
 * lock, and the core behind IPC. No business logic lives here.
 */
import { app, BrowserWindow, dialog, Menu, Notification, powerMonitor, safeStorage, session, shell, utilityProcess, type MenuItemConstructorOptions } from 'electron';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Core, type ShellServices } from '../app/core/core.ts';
import type { Settings } from '../app/api/index.ts';
import { databaseFileExtensions } from '../app/api/rules.ts';
import { useHelperStarter } from '../app/engine/index.ts';
import { HostLock } from '../app/host/host-lock.ts';
import { sealedStore, type SecretStore } from '../app/secrets/secret-store.ts';
import { wireIpc } from './ipc.ts';
import { createTray } from './tray.ts';
import { isAllowedExternalLink } from './external-links.ts';
import { APP_ORIGIN, registerAppScheme, serveRenderer } from './protocol.ts';

const here = dirname(fileURLToPath(import.meta.url));
const rendererDir = join(here, '..', 'renderer');
const preloadPath = join(here, 'preload.cjs');

registerAppScheme();

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  let mainWindow: BrowserWindow | undefined;

  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.show();
    mainWindow.focus();
  });

  // No webview, no new windows, no navigation away from the app, in any web contents.
  app.on('web-contents-created', (_, contents) => {
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.on('will-navigate', (event, url) => {
      if (!url.startsWith(`${APP_ORIGIN}/`)) event.preventDefault();
    });
    contents.setWindowOpenHandler(({ url }) => {
      if (isAllowedExternalLink(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
  });

  void app.whenReady().then(() => {
    session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
    session.defaultSession.setPermissionCheckHandler(() => false);
    serveRenderer(rendererDir);
    // The engine's helpers (its checkpoints, its clones) are processes of their own; with the
    // RunAsNode fuse off, a utility process is how Electron starts one (no stdin: its
    // commands come as messages).
    useHelperStarter((modulePath, args) => utilityProcess.fork(modulePath, args, { stdio: ['ignore', 'pipe', 'ignore'], serviceName: 'Pagevault helper' }));

    let core: Core;
    let folderLock: HostLock;
    try {
      const dataDir = process.env.PAGEVAULT_DATA_DIR ?? app.getPath('userData');
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      // A host (npm run web) on the same data folder would run every schedule a second time.
      folderLock = HostLock.acquire(dataDir, 'desktop app');
      core = new Core({ dataDir, shell: 'electron', services: shellServices(() => mainWindow), secrets: keychainStore(dataDir) });
    } catch (error) {
      dialog.showErrorBox('Pagevault cannot start', (error as Error).message);
      app.exit(1);
      return;
    }
    let quitting = false;
    app.on('before-quit', (event) => {
      quitting = true;
      if (core.closed) return;
      event.preventDefault();
      void core.close().finally(() => {
        folderLock.release();
        app.quit();
      });
    });
    mainWindow = new BrowserWindow({
      width: 1180,
      height: 780,
      minWidth: 860,
      minHeight: 560,
      title: 'Pagevault',
      show: false,
      webPreferences: {
        preload: preloadPath,
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        webSecurity: true,
        spellcheck: false,
        // DevTools in development (npm start) only; a packaged app has no way to open them.
        devTools: !app.isPackaged,
      },
    });
    const unwire = wireIpc(core, mainWindow);
    const settingsOf = async (): Promise<Settings | undefined> => {
      return core.call('settings.get', {}).catch((error: unknown) => {
        console.error('Pagevault: cannot read the settings', error);
        return undefined;
      });
    };
    const openWindow = () => {
      if (!mainWindow) return;
      if (mainWindow.isMinimized()) mainWindow.restore();
      mainWindow.show();
      mainWindow.focus();
    };
    createTray(core, openWindow);
    // Closing the window keeps Pagevault (and its schedules) running in the tray, when
    // the setting says so; the first time, the user is told where it went.
    let closeToTray = true;
    const applySettings = async () => {
      const settings = await settingsOf();
      if (!settings) return;
      closeToTray = settings.closeToTray;
      // Started at login, Pagevault opens in the tray only (the --background argument).
      if (app.isPackaged) app.setLoginItemSettings({ openAtLogin: settings.startAtLogin, args: ['--background'] });
    };
    void applySettings();
    core.events.on('catalog.changed', ({ topic }) => topic === 'settings' && void applySettings());
    mainWindow.on('close', (event) => {
      if (quitting || !closeToTray) return;
      event.preventDefault();
      mainWindow?.hide();
      void settingsOf().then((settings) => {
        if (!settings || settings.closeToTrayExplained) return;
        if (Notification.isSupported()) {
          new Notification({ title: 'Pagevault is still running', body: 'Scheduled backups keep running in the background. Open Pagevault or quit it from its icon in the tray.' }).show();
        }
        core.call('settings.update', { closeToTrayExplained: true }).catch((error: unknown) => {
          // Not saved: the explanation shows again at the next close, so say why once here.
          const message = error instanceof Error ? error.message : String(error);
          console.error(`Pagevault: cannot save the settings: ${message}`);
          if (Notification.isSupported()) new Notification({ title: 'Cannot save the settings', body: message }).show();
        });
      });
    });
    powerMonitor.on('resume', () => core.resumed());
    core.startScheduler();
    mainWindow.once('ready-to-show', () => {
      if (!process.argv.includes('--background')) mainWindow?.show();
    });
    mainWindow.on('closed', () => {
      unwire();
      mainWindow = undefined;
    });
    Menu.setApplicationMenu(buildMenu());
    void mainWindow.loadURL(`${APP_ORIGIN}/`);
  });

  // With the window hidden in the tray the app keeps running; it quits from the tray or the menu.
  app.on('window-all-closed', () => app.quit());
}

const sqliteFilters: Electron.FileFilter[] = [
  { name: 'SQLite databases', extensions: [...databaseFileExtensions] },
  { name: 'All files', extensions: ['*'] },
];

/** Dialogs, the file manager and notifications, for the core to call. */
/**
 * The OS keychain when there is one. On Linux without a secret service safeStorage falls
 * back to a hard-coded password ('basic_text'), no better than the 0600 key file the core
 * uses by default, which at least says so in its permissions.
 */
function keychainStore(dataDir: string): SecretStore | undefined {
  if (!safeStorage.isEncryptionAvailable()) return undefined;
  if (process.platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text') return undefined;
  return sealedStore(dataDir, {
    // safeStorage seals strings; base64 carries any bytes through it.
    encrypt: (plain) => safeStorage.encryptString(plain.toString('base64')),
    decrypt: (sealed) => Buffer.from(safeStorage.decryptString(sealed), 'base64'),
  });
}

function shellServices(window: () => BrowserWindow | undefined): ShellServices {
  return {
    pickPaths: async (purpose) => {
      const parent = window();
      if (purpose === 'new-database') {
        const options: Electron.SaveDialogOptions = { title: 'Restore into a new file', buttonLabel: 'Restore here', properties: ['createDirectory', 'showOverwriteConfirmation'], filters: sqliteFilters };
        const result = parent ? await dialog.showSaveDialog(parent, options) : await dialog.showSaveDialog(options);
        return result.canceled || !result.filePath ? [] : [result.filePath];
      }
      const options: Electron.OpenDialogOptions =
        purpose === 'folder'
          ? { title: 'Choose a folder', properties: ['openDirectory', 'createDirectory'] }
          : purpose === 'backup'
            ? { title: 'Choose a backup to restore', buttonLabel: 'Choose', properties: ['openFile', 'showHiddenFiles'], filters: sqliteFilters }
            : { title: 'Add SQLite databases', properties: ['openFile', 'multiSelections', 'showHiddenFiles'], filters: sqliteFilters };
      const result = parent ? await dialog.showOpenDialog(parent, options) : await dialog.showOpenDialog(options);
      return result.canceled ? [] : result.filePaths;
    },
    reveal: (path) => shell.showItemInFolder(path),
    notify: ({ title, body }) => {
      if (Notification.isSupported()) new Notification({ title, body }).show();
    },
  };
}

function buildMenu(): Menu {
  const go = (screen: string) => () => {
    const window = BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0];
    void window?.webContents.executeJavaScript(`location.hash = '#/${screen}'`);
  };
  const template: MenuItemConstructorOptions[] = [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    { role: 'fileMenu' },
    { role: 'editMenu' },
    {
      label: 'Go',
      submenu: [
        { label: 'Databases', accelerator: 'CmdOrCtrl+1', click: go('databases') },
        { label: 'Schedules', accelerator: 'CmdOrCtrl+2', click: go('schedules') },
        { label: 'History', accelerator: 'CmdOrCtrl+3', click: go('history') },
        { label: 'Restore', accelerator: 'CmdOrCtrl+4', click: go('restore') },
        { label: 'Settings', accelerator: 'CmdOrCtrl+,', click: go('settings') },
      ],
    },
    // The default View menu has Toggle Developer Tools; a packaged app leaves it out.
    app.isPackaged
      ? { label: 'View', submenu: [{ role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }] }
      : { role: 'viewMenu' },
    { role: 'windowMenu' },
  ];
  return Menu.buildFromTemplate(template);
}
