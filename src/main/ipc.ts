// IPC glue: the only place besides index.ts that imports electron. It forwards each declared
// channel to the dispatcher, after checking the message came from our own top-level page, and
// forwards the station's events to the windows that show our page.
import { BrowserWindow, ipcMain, type IpcMainInvokeEvent } from 'electron';
import type { StationApi } from '../shared/api.ts';
import { API_CHANNELS, API_EVENTS, eventIpcChannel } from '../shared/channels.ts';
import { dispatch } from './api/dispatch.ts';

export function registerStationIpc(station: StationApi, isTrustedUrl: (url: string) => boolean): () => void {
  for (const channel of API_CHANNELS) {
    ipcMain.handle(channel, async (event: IpcMainInvokeEvent, payload: unknown) => {
      const frame = event.senderFrame;
      if (!frame || frame.parent !== null || !isTrustedUrl(frame.url)) {
        return { ok: false, error: { code: 'bad-request', failure: null, message: 'Refused: the request did not come from the station window' } };
      }
      return dispatch(station, channel, payload);
    });
  }
  const stops = API_EVENTS.map((name) =>
    station.subscribe(name, (payload) => {
      for (const window of BrowserWindow.getAllWindows()) {
        if (isTrustedUrl(window.webContents.getURL())) window.webContents.send(eventIpcChannel(name), payload);
      }
    }),
  );
  return () => stops.forEach((stop) => stop());
}
