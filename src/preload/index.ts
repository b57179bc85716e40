// Runs sandboxed: it may only require 'electron', and it exposes the typed station bridge and
// nothing else (no ipcRenderer, no Node). Generic over the contract's channel and event lists, so
// a channel added to src/shared/channels.ts reaches the renderer without touching this file.
import { contextBridge, ipcRenderer } from 'electron';
import type { StationBridge } from '../shared/api.ts';
import { API_CHANNELS } from '../shared/channels.ts';
import { createEventRelay } from './event-relay.ts';

const calls = Object.fromEntries(API_CHANNELS.map((channel) => [channel, (request: unknown) => ipcRenderer.invoke(channel, request)]));

contextBridge.exposeInMainWorld('lockstep', { ...calls, subscribe: createEventRelay(ipcRenderer) } as unknown as StationBridge);
