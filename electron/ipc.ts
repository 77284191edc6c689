/**
 * ipcMain wiring of the API: one handler per method. Each refuses a sender that is not
 * the app's own main frame, then lets the core validate and run the request.
 */
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { channelOf, eventChannel, methodNames, type Outcome } from '../app/api/index.ts';
import type { Core } from '../app/core/core.ts';
import { APP_ORIGIN } from './protocol.ts';

function isTrustedSender(event: IpcMainInvokeEvent, window: BrowserWindow): boolean {
  const frame = event.senderFrame;
  if (!frame || frame !== window.webContents.mainFrame) return false;
  try {
    return new URL(frame.url).origin === APP_ORIGIN;
  } catch {
    return false;
  }
}

/** Registers every method's handler and forwards the core's events to the window. */
export function wireIpc(core: Core, window: BrowserWindow): () => void {
  for (const method of methodNames) {
    ipcMain.handle(channelOf(method), async (event, params: unknown): Promise<Outcome<unknown>> => {
      if (!isTrustedSender(event, window)) {
        return { ok: false, error: { code: 'INVALID_REQUEST', message: `Refused ${method}: the request did not come from Pagevault's own window` } };
      }
      return core.handle(method, params);
    });
  }
  const unsubscribe = core.events.onAny((event, payload) => {
    if (!window.isDestroyed()) window.webContents.send(eventChannel, event, payload);
  });
  return () => {
    unsubscribe();
    for (const method of methodNames) ipcMain.removeHandler(channelOf(method));
  };
}
