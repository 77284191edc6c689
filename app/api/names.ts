/**
 * The names of every request method and push event. Kept free of any import so the
 * sandboxed Electron preload can bundle it without pulling in the schemas.
 */
export const methodNames = ['app.info', 'files.inspect', 'files.verify'] as const;

export const eventNames = ['job.progress', 'job.finished'] as const;

export type MethodName = (typeof methodNames)[number];
export type EventName = (typeof eventNames)[number];

/** The Electron IPC channel of a method; one fixed channel per method. */
export function channelOf(method: MethodName): string {
  return `pagevault:${method}`;
}

/** The Electron IPC channel that carries push events to the renderer. */
export const eventChannel = 'pagevault:event';
