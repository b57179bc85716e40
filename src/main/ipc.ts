// IPC glue: the only place besides index.ts that imports electron. It forwards each declared
// channel to the dispatcher, and carries the station's events to the windows that ask for them,
// after checking every message came from the top frame of our own page.
import { ipcMain, type IpcMainEvent, type IpcMainInvokeEvent } from 'electron';
import type { StationApi } from '../shared/api.ts';
import { API_CHANNELS } from '../shared/channels.ts';
import { EVENT_SUBSCRIBE, EVENT_UNSUBSCRIBE } from '../shared/event-ipc.ts';
import { dispatch } from './api/dispatch.ts';
import { EventSubscriptions } from './shell/event-subscriptions.ts';
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
  return () => {
    for (const channel of API_CHANNELS) ipcMain.removeHandler(channel);
    ipcMain.off(EVENT_SUBSCRIBE, onSubscribe);
    ipcMain.off(EVENT_UNSUBSCRIBE, onUnsubscribe);
    subscriptions.close();
  };
}
