import type { ApiResult, StationApi, StationBridge } from '../../shared/api.ts';
import { API_CHANNELS, type ApiChannel } from '../../shared/channels.ts';
import { describeFailure } from '../../shared/describe-failure.ts';

declare global {
  interface Window {
    readonly lockstep?: StationBridge;
  }
}

/** A failed station call, carrying the core's own code and explanation for the operator. */
export class StationError extends Error {
  readonly code: string;
  readonly params: Readonly<Record<string, string>>;
  /** Which finding of the code the message states, when the code has several; null: the code's one finding. */
  readonly detail: string | null;
  constructor(code: string, message: string, params: Readonly<Record<string, string>> = {}, detail: string | null = null) {
    super(message);
    this.name = 'StationError';
    this.code = code;
    this.params = params;
    this.detail = detail;
  }
}

/** Turns the bridge's result objects back into ordinary promises that reject with StationError. */
export function createStationClient(bridge: StationBridge): StationApi {
  const call = async (channel: ApiChannel, request: unknown) => {
    const result = await (bridge[channel] as (request: unknown) => Promise<ApiResult<ApiChannel>>)(request);
    if (result.ok) return result.value;
    throw new StationError(result.error.failure ?? result.error.code, result.error.message, result.error.params, result.error.detail ?? null);
  };
  return {
    ...Object.fromEntries(API_CHANNELS.map((channel) => [channel, (request: unknown) => call(channel, request)])),
    subscribe: (event, listener) => bridge.subscribe(event, listener),
  } as StationApi;
}

/** What a screen shows for a failed call: the code to translate, its finding and parameters, and the station's own words. */
export interface ShownError {
  readonly code: string;
  readonly message: string;
  readonly params?: Readonly<Record<string, string>>;
  readonly detail?: string | null;
}

export function shownError(error: unknown): ShownError {
  if (error instanceof StationError) return { code: error.code, message: describeFailure(error), params: error.params, detail: error.detail };
  return { code: 'generic', message: describeFailure(error) };
}
