// The station API over one WebSocket (`lockstep serve`): the browser's messages and the station's
// answers. The station validates every message with these schemas before anything runs; the
// payload of a call is then validated by `dispatch` against the channel's own schema, as over IPC.
import { z } from 'zod';
import { API_EVENTS } from './channels.ts';

/** A call's id: the browser's counter, echoed in the answer. */
const callId = z.int().min(0).max(Number.MAX_SAFE_INTEGER);

export const clientMessageSchema = z.discriminatedUnion('type', [
  // `channel` is any string here so that an undeclared one gets dispatch's own refusal as its answer.
  z.strictObject({ type: z.literal('call'), id: callId, channel: z.string().max(80), payload: z.unknown().optional() }),
  z.strictObject({ type: z.literal('subscribe'), event: z.enum(API_EVENTS) }),
  z.strictObject({ type: z.literal('unsubscribe'), event: z.enum(API_EVENTS) }),
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;

const apiError = z.object({
  code: z.string(),
  failure: z.string().nullable(),
  message: z.string(),
  params: z.record(z.string(), z.string()).optional(),
  detail: z.string().optional(),
});

export const serverMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('result'),
    id: callId,
    result: z.union([z.object({ ok: z.literal(true), value: z.unknown() }), z.object({ ok: z.literal(false), error: apiError })]),
  }),
  z.strictObject({ type: z.literal('event'), event: z.enum(API_EVENTS), payload: z.unknown() }),
]);
export type ServerMessage = z.infer<typeof serverMessageSchema>;

/** The station closes a socket with these codes (RFC 6455 §7.4.1) and says why in the reason. */
export const SOCKET_CLOSE = {
  /** A message that is not one of the above, or a flood of them. */
  policy: 1008,
  /** Larger than the station takes. */
  tooBig: 1009,
  /** The station is stopping. */
  goingAway: 1001,
  /** This browser already has as many sockets open as the station gives one browser: close a tab, then try again. */
  tryAgainLater: 1013,
} as const;

/** The path the station's WebSocket listens on. */
export const STATION_SOCKET_PATH = '/station';
