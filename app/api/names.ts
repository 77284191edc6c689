/**
 * The names of every request method and push event. Kept free of any import so the
 * sandboxed Electron preload can bundle it without pulling in the schemas.
 */
export const methodNames = [
  'app.info',
  'files.inspect',
  'files.verify',
  'files.reveal',
  'files.pick',
  'databases.list',
  'databases.add',
  'databases.update',
  'databases.remove',
  'databases.details',
  'databases.discover',
  'backups.start',
  'backups.startAll',
  'jobs.list',
  'jobs.cancel',
  'history.list',
  'history.series',
  'history.verify',
  'history.delete',
  'history.import',
  'history.pin',
  'restore.check',
  'restore.target',
  'restore.start',
  'schedules.list',
  'schedules.preview',
  'schedules.set',
  'schedules.remove',
  'schedules.pause',
  'retention.get',
  'retention.preview',
  'retention.set',
  'storage.get',
  'settings.get',
  'settings.update',
  'encryption.get',
  'encryption.set',
] as const;

/** Every event the core pushes to its clients; the event payload map must cover exactly these. */
export const eventNames = ['job.progress', 'job.finished', 'jobs.changed', 'catalog.changed', 'catalog.problem', 'schedules.caughtUp'] as const;

/** A method of the API; a typo in a caller is a compile error. */
export type MethodName = (typeof methodNames)[number];
/** An event the core pushes; a typo in a subscriber is a compile error. */
export type EventName = (typeof eventNames)[number];

/** The Electron IPC channel of a method; one fixed channel per method. */
export function channelOf(method: MethodName): string {
  return `pagevault:${method}`;
}

/** The Electron IPC channel that carries push events to the renderer. */
export const eventChannel = 'pagevault:event';
