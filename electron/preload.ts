/**
 * The sandboxed preload: exposes `window.pagevault`, one function per API method (each
 * bound to its own IPC channel) and `on(event, listener)` returning an unsubscribe.
 * The renderer can reach nothing else of Electron or Node.
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import { channelOf, eventChannel, eventNames, methodNames, type EventName } from '../app/api/names.ts';

const knownEvents = new Set<string>(eventNames);
const bridge: Record<string, unknown> = {};
for (const method of methodNames) {
  const channel = channelOf(method);
  bridge[method] = (params: unknown) => ipcRenderer.invoke(channel, params);
}
bridge.on = (event: EventName, listener: (payload: unknown) => void) => {
  if (!knownEvents.has(event)) throw new Error(`Unknown Pagevault event '${event}'`);
  const handler = (_: IpcRendererEvent, name: string, payload: unknown) => {
    if (name === event) listener(payload);
  };
  ipcRenderer.on(eventChannel, handler);
  return () => ipcRenderer.removeListener(eventChannel, handler);
};

bridge.pathForFile = (file: File) => webUtils.getPathForFile(file);

contextBridge.exposeInMainWorld('pagevault', bridge);
