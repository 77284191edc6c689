/**
 * The tray: an icon whose colour says idle, running or failed, and a menu to open the
 * window, back everything up now, pause or resume schedules, and quit. It follows the
 * core's events; what it does, it asks of the core like any UI.
 */
import { Menu, nativeImage, Notification, Tray, type MenuItemConstructorOptions } from 'electron';
import type { Core } from '../app/core/core.ts';
import type { JobInfo, MethodName, Params, Settings } from '../app/api/index.ts';
import { notStarted, reportingCaller } from './tray-calls.ts';
import { pauseEnd, schedulesPaused } from '../app/api/rules.ts';
import { trayBitmap, trayTooltip, type TrayState } from './tray-icon.ts';

const ICON_SIZE = 32;

function iconOf(state: TrayState): Electron.NativeImage {
  const image = nativeImage.createFromBitmap(trayBitmap(state, ICON_SIZE), { width: ICON_SIZE, height: ICON_SIZE, scaleFactor: 2 });
  return image;
}

/** Creates the tray; returns a function that removes it. */
export function createTray(core: Core, openWindow: () => void): () => void {
  const tray = new Tray(iconOf('idle'));
  let running: JobInfo[] = [];
  let failure: string | null = null;
  let settings: Settings | undefined;

  const state = (): TrayState => (running.length > 0 ? 'running' : failure ? 'failed' : 'idle');
  const reportingCall = reportingCaller(core, (title, error, failed) => {
    if (failed) {
      failure = error.message;
      render();
    }
    console.error(`Pagevault: ${title}: ${error.message} [${error.code}]`);
    if (Notification.isSupported()) new Notification({ title, body: error.message }).show();
  });
  const call = <M extends MethodName>(title: string, method: M, params: Params<M>) => void reportingCall(title, method, params);
  const render = () => {
    tray.setImage(iconOf(state()));
    tray.setToolTip(trayTooltip(state(), running.length, failure));
    const pausedUntil = settings?.schedulesPausedUntil ?? null;
    const paused = schedulesPaused(pausedUntil, new Date());
    const template: MenuItemConstructorOptions[] = [
      { label: 'Open Pagevault', click: openWindow },
      { type: 'separator' },
      { label: 'Backup all now', click: () => void reportingCall('Backup all now', 'backups.startAll', {}, notStarted) },
      paused
        ? { label: `Resume schedules (paused until ${new Date(pausedUntil!).toLocaleString()})`, click: () => call('Resume schedules', 'schedules.pause', { until: null }) }
        : {
            label: 'Pause schedules',
            submenu: [
              { label: 'For 1 hour', click: () => call('Pause schedules for 1 hour', 'schedules.pause', { until: pauseEnd('hour', new Date()).toISOString() }) },
              { label: 'Until tomorrow', click: () => call('Pause schedules until tomorrow', 'schedules.pause', { until: pauseEnd('tomorrow', new Date()).toISOString() }) },
            ],
          },
      { type: 'separator' },
      { label: 'Quit Pagevault', role: 'quit' },
    ];
    tray.setContextMenu(Menu.buildFromTemplate(template));
  };
  const reloadSettings = async () => {
    settings = await core.call('settings.get', {}).catch(() => settings);
    render();
  };

  const offs = [
    core.events.on('jobs.changed', (jobs) => {
      running = jobs.filter((job) => job.state === 'running');
      render();
    }),
    core.events.on('job.finished', (finished) => {
      // A deferred backup is another program holding its database busy, not a fault to show.
      if (finished.kind !== 'backup' || finished.cancelled || finished.error?.code === 'DEFERRED') return;
      failure = finished.ok ? null : (finished.error?.message ?? 'unknown error');
      render();
    }),
    core.events.on('catalog.changed', ({ topic }) => {
      if (topic === 'settings') void reloadSettings();
    }),
  ];
  tray.on('click', openWindow);
  void reloadSettings();
  return () => {
    for (const off of offs) off();
    tray.destroy();
  };
}
