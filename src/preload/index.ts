// Runs sandboxed: it may only require 'electron', and it exposes the typed station bridge and
// nothing else (no ipcRenderer, no Node).
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { API_CHANNELS, eventIpcChannel, isApiEvent, type ApiEvent } from '../shared/channels.ts';
import type { StationBridge } from '../shared/api.ts';

const calls = Object.fromEntries(API_CHANNELS.map((channel) => [channel, (request: unknown) => ipcRenderer.invoke(channel, request)]));

/** Events from main; the latest snapshot is fetched once so a new subscriber starts from the current state. */
function subscribe(event: ApiEvent, listener: (payload: unknown) => void): () => void {
  if (!isApiEvent(event)) throw new Error(`no such station event: ${String(event).slice(0, 40)}`);
  const handler = (_event: IpcRendererEvent, payload: unknown): void => listener(payload);
  ipcRenderer.on(eventIpcChannel(event), handler);
  void ipcRenderer.invoke(event).then((result: { ok: boolean; value?: unknown }) => {
    if (result.ok && result.value !== null && result.value !== undefined) listener(result.value);
  });
  return () => void ipcRenderer.off(eventIpcChannel(event), handler);
}

contextBridge.exposeInMainWorld('lockstep', { ...calls, subscribe } as unknown as StationBridge);
