// Runs sandboxed: it may only require 'electron', and it exposes the typed station bridge and
// nothing else (no ipcRenderer, no Node).
import { contextBridge, ipcRenderer } from 'electron';
import { API_CHANNELS } from '../shared/channels.ts';
import type { StationBridge } from '../shared/api.ts';

const bridge = Object.fromEntries(
  API_CHANNELS.map((channel) => [channel, (request: unknown) => ipcRenderer.invoke(channel, request)]),
) as unknown as StationBridge;

contextBridge.exposeInMainWorld('lockstep', bridge);
