// The station API contract: one typed call per channel, and the events the station publishes. The
// preload, the test bridge and the CLI all speak exactly this, and main validates every request
// against these schemas before the core sees it.
import { z } from 'zod';
import type { ApiChannel, ApiEvent } from './channels.ts';
import { handsetActionSchema, type PipelineSnapshot } from './pipeline.ts';
import type { ScanResult, StationInfo } from './types.ts';

const credentials = z.strictObject({ id: z.string().min(1).max(64), pin: z.string().min(1).max(64) });

export const batchStartSchema = z.strictObject({
  /** A bundle folder or zip on the station. */
  bundlePath: z.string().min(1).max(4096),
  trustDirs: z.array(z.string().min(1).max(4096)).max(16).default([]),
  operator: credentials,
  /** The supervisor who authorises the batch's fuse and lock steps. */
  supervisor: credentials,
  /** The most handsets the authorisation covers. */
  deviceCap: z.int().min(1).max(100_000),
  parallel: z.int().min(1).max(64).default(4),
  /** Asset tags of a new batch (src/shared/asset-tag.ts); null: no tags. */
  assetTagPattern: z.string().max(64).nullable().default(null),
});
export type BatchStartRequest = z.input<typeof batchStartSchema>;

export const apiRequestSchemas = {
  'station.info': z.undefined(),
  'devices.scan': z.undefined(),
  'batch.start': batchStartSchema,
  'batch.pause': z.undefined(),
  'batch.resume': z.undefined(),
  'handset.retry': handsetActionSchema,
  'handset.abort': handsetActionSchema,
  'pipeline.snapshot': z.undefined(),
} as const satisfies Record<ApiChannel, z.ZodType>;

export interface ApiResponses {
  'station.info': StationInfo;
  'devices.scan': ScanResult;
  'batch.start': PipelineSnapshot;
  'batch.pause': PipelineSnapshot;
  'batch.resume': PipelineSnapshot;
  /** Whether the handset was attached and idle, so a new attempt started. */
  'handset.retry': boolean;
  /** Whether the handset had a running attempt to abort. */
  'handset.abort': boolean;
  /** The latest snapshot, or null before any batch started. */
  'pipeline.snapshot': PipelineSnapshot | null;
}

export interface ApiEvents {
  'pipeline.snapshot': PipelineSnapshot;
}

export type ApiRequest<C extends ApiChannel> = z.input<(typeof apiRequestSchemas)[C]>;

export type EventListener<E extends ApiEvent> = (payload: ApiEvents[E]) => void;

/** The core object every front end drives: one call per channel, and subscriptions to its events. */
export type StationApi = {
  readonly [C in ApiChannel]: (request: ApiRequest<C>) => Promise<ApiResponses[C]>;
} & {
  /** Delivers the latest value at once (when there is one), then every new one; returns the unsubscribe function. */
  subscribe<E extends ApiEvent>(event: E, listener: EventListener<E>): () => void;
};

/**
 * How an API failure crosses a process boundary: where it was refused (`code`), the failure's own
 * stable code from the core (a bundle error's `BAD_SIGNATURE`, a pipeline's `NOT_AUTHORISED`), and
 * a sentence for the operator.
 */
export interface ApiErrorPayload {
  readonly code: 'bad-request' | 'unknown-channel' | 'failed';
  readonly failure: string | null;
  readonly message: string;
}

export type ApiResult<C extends ApiChannel> =
  | { readonly ok: true; readonly value: ApiResponses[C] }
  | { readonly ok: false; readonly error: ApiErrorPayload };

/**
 * What the preload (or the test bridge standing in for it) puts on `window.lockstep`: one function
 * per channel, answering with a result rather than throwing, because thrown errors lose their text
 * when they cross Electron's IPC; and a subscription to the station's events.
 */
export type StationBridge = {
  readonly [C in ApiChannel]: (request: ApiRequest<C>) => Promise<ApiResult<C>>;
} & {
  subscribe<E extends ApiEvent>(event: E, listener: EventListener<E>): () => void;
};
