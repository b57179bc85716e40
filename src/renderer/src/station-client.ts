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
  constructor(code: string, message: string, params: Readonly<Record<string, string>> = {}) {
    super(message);
    this.name = 'StationError';
    this.code = code;
    this.params = params;
  }
}

/** Turns the bridge's result objects back into ordinary promises that reject with StationError. */
export function createStationClient(bridge: StationBridge): StationApi {
  const call = async (channel: ApiChannel, request: unknown) => {
    const result = await (bridge[channel] as (request: unknown) => Promise<ApiResult<ApiChannel>>)(request);
    if (result.ok) return result.value;
    throw new StationError(result.error.failure ?? result.error.code, result.error.message, result.error.params);
  };
  return {
    ...Object.fromEntries(API_CHANNELS.map((channel) => [channel, (request: unknown) => call(channel, request)])),
    subscribe: (event, listener) => bridge.subscribe(event, listener),
  } as StationApi;
}

/** What a screen shows for a failed call: the code to translate, its parameters and the station's own words. */
export interface ShownError {
  readonly code: string;
  readonly message: string;
  readonly params?: Readonly<Record<string, string>>;
}

export function shownError(error: unknown): ShownError {
  if (error instanceof StationError) return { code: error.code, message: describeFailure(error), params: error.params };
  return { code: 'generic', message: describeFailure(error) };
}
