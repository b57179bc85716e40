// IPC glue: the only place besides index.ts that imports electron. It forwards each declared
// channel to the dispatcher, carries the station's events to the windows that ask for them, and
// opens the window's file dialogs, after checking every message came from the top frame of our own page.
import { BrowserWindow, dialog, ipcMain, type IpcMainEvent, type IpcMainInvokeEvent } from 'electron';
import type { StationApi } from '../shared/api.ts';
import { API_CHANNELS } from '../shared/channels.ts';
import { EVENT_SUBSCRIBE, EVENT_UNSUBSCRIBE } from '../shared/event-ipc.ts';
import { SHELL_PICK_OPEN_PATH, SHELL_PICK_SAVE_PATH } from '../shared/shell-api.ts';
import { dispatch } from './api/dispatch.ts';
import { EventSubscriptions } from './shell/event-subscriptions.ts';
import { createFileDialogs, type DialogCaller } from './shell/file-dialogs.ts';
import { isStationFrame, type UrlCheck } from './shell/trusted-sender.ts';

const REFUSED = { ok: false, error: { code: 'bad-request', failure: null, message: 'Refused: the request did not come from the station window' } } as const;

/** Wires the station to IPC; the returned function removes every handler and ends every subscription. */
export function registerStationIpc(station: StationApi, isTrustedUrl: UrlCheck): () => void {
  const fromStationWindow = (event: IpcMainEvent | IpcMainInvokeEvent): boolean => isStationFrame(event.senderFrame, isTrustedUrl);
  for (const channel of API_CHANNELS) {
    ipcMain.handle(channel, async (event, payload: unknown) => (fromStationWindow(event) ? dispatch(station, channel, payload) : REFUSED));
  }
  const subscriptions = new EventSubscriptions(station);
  const onSubscribe = (event: IpcMainEvent, name: unknown): void => {
    if (fromStationWindow(event)) subscriptions.subscribe(event.sender, name);
  };
  const onUnsubscribe = (event: IpcMainEvent, name: unknown): void => subscriptions.unsubscribe(event.sender, name);
  ipcMain.on(EVENT_SUBSCRIBE, onSubscribe);
  ipcMain.on(EVENT_UNSUBSCRIBE, onUnsubscribe);
  // The window's file dialogs are the shell's, not the station's: they never go through dispatch.
  const dialogs = createFileDialogs(dialog, isTrustedUrl);
  const caller = (event: IpcMainInvokeEvent): DialogCaller<BrowserWindow> => ({
    frame: event.senderFrame,
    window: BrowserWindow.fromWebContents(event.sender),
  });
  ipcMain.handle(SHELL_PICK_SAVE_PATH, (event, request: unknown) => dialogs.pickSavePath(caller(event), request));
  ipcMain.handle(SHELL_PICK_OPEN_PATH, (event, request: unknown) => dialogs.pickOpenPath(caller(event), request));
  return () => {
    for (const channel of [...API_CHANNELS, SHELL_PICK_SAVE_PATH, SHELL_PICK_OPEN_PATH]) ipcMain.removeHandler(channel);
    ipcMain.off(EVENT_SUBSCRIBE, onSubscribe);
    ipcMain.off(EVENT_UNSUBSCRIBE, onUnsubscribe);
    subscriptions.close();
  };
}
