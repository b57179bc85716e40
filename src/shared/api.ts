// The station API contract: one typed call per channel. The preload, the test bridge and the CLI
// all speak exactly this, and main validates every request against these schemas before the core
// sees it.
import { z } from 'zod';
import type { ApiChannel } from './channels.ts';
import type { ScanResult, StationInfo } from './types.ts';

export const apiRequestSchemas = {
  'station.info': z.undefined(),
  'devices.scan': z.undefined(),
} as const satisfies Record<ApiChannel, z.ZodType>;

export interface ApiResponses {
  'station.info': StationInfo;
  'devices.scan': ScanResult;
}

export type ApiRequest<C extends ApiChannel> = z.infer<(typeof apiRequestSchemas)[C]>;

/** The core object every front end drives. */
export type StationApi = {
  readonly [C in ApiChannel]: (request: ApiRequest<C>) => Promise<ApiResponses[C]>;
};

/** How an API failure crosses a process boundary: a stable code and a sentence for the operator. */
export interface ApiErrorPayload {
  readonly code: 'bad-request' | 'unknown-channel' | 'failed';
  readonly message: string;
}

export type ApiResult<C extends ApiChannel> =
  | { readonly ok: true; readonly value: ApiResponses[C] }
  | { readonly ok: false; readonly error: ApiErrorPayload };

/**
 * What the preload (or the test bridge standing in for it) puts on `window.lockstep`: one function
 * per channel, answering with a result rather than throwing, because thrown errors lose their text
 * when they cross Electron's IPC.
 */
export type StationBridge = {
  readonly [C in ApiChannel]: (request: ApiRequest<C>) => Promise<ApiResult<C>>;
};
