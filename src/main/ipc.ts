// IPC glue: the only place besides index.ts that imports electron. It forwards each declared
// channel to the dispatcher, after checking the message came from our own top-level page.
import { ipcMain, type IpcMainInvokeEvent } from 'electron';
import { API_CHANNELS } from '../shared/channels.ts';
import { dispatch } from './api/dispatch.ts';
import type { StationApi } from '../shared/api.ts';

export function registerStationIpc(station: StationApi, isTrustedUrl: (url: string) => boolean): void {
  for (const channel of API_CHANNELS) {
    ipcMain.handle(channel, async (event: IpcMainInvokeEvent, payload: unknown) => {
      const frame = event.senderFrame;
      if (!frame || frame.parent !== null || !isTrustedUrl(frame.url)) {
        return { ok: false, error: { code: 'bad-request', message: 'Refused: the request did not come from the station window' } };
      }
      return dispatch(station, channel, payload);
    });
  }
}
