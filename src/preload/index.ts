// Runs sandboxed: it may only require 'electron', and it exposes the typed station bridge and the
// window's file dialogs (`lockstepShell`) and nothing else (no ipcRenderer, no Node). The station
// bridge is generic over the contract's channel and event lists, so a channel added to
// src/shared/channels.ts reaches the renderer without touching this file.
import { contextBridge, ipcRenderer } from 'electron';
import type { StationBridge } from '../shared/api.ts';
import { API_CHANNELS } from '../shared/channels.ts';
import { SHELL_PICK_OPEN_PATH, SHELL_PICK_SAVE_PATH, type ShellBridge } from '../shared/shell-api.ts';
import { createEventRelay } from './event-relay.ts';

const calls = Object.fromEntries(API_CHANNELS.map((channel) => [channel, (request: unknown) => ipcRenderer.invoke(channel, request)]));

contextBridge.exposeInMainWorld('lockstep', { ...calls, subscribe: createEventRelay(ipcRenderer) } as unknown as StationBridge);

const shell: ShellBridge = {
  pickSavePath: (request) => ipcRenderer.invoke(SHELL_PICK_SAVE_PATH, request),
  pickOpenPath: (request) => ipcRenderer.invoke(SHELL_PICK_OPEN_PATH, request),
};
contextBridge.exposeInMainWorld('lockstepShell', shell);
