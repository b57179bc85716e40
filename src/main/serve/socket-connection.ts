// One browser's WebSocket to the station: each message validated, calls answered through `dispatch`
// for this browser's own operator session, events sent to this socket alone (the latest at once, as
// over IPC). A message the protocol does not declare, or more than the socket's share, closes it
// before anything runs.
import type { WebSocket } from 'ws';
import { dispatch } from '../api/dispatch.ts';
import type { StationApi } from '../../shared/api.ts';
import type { ApiEvent } from '../../shared/channels.ts';
import { clientMessageSchema, SOCKET_CLOSE, type ServerMessage } from '../../shared/station-socket.ts';

export interface SocketLimits {
  /** Messages a socket may send at once… */
  readonly burst: number;
  /** …and per second after that. */
  readonly perSecond: number;
}

/** A token bucket: `burst` at once, refilled at `perSecond`. */
function rateLimiter({ burst, perSecond }: SocketLimits): () => boolean {
  let tokens = burst;
  let last = performance.now();
  return () => {
    const now = performance.now();
    tokens = Math.min(burst, tokens + ((now - last) / 1000) * perSecond);
    last = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}

/** Serves `socket` with `api` (the station for this browser's session) until it closes. */
export function serveSocket(socket: WebSocket, api: StationApi, limits: SocketLimits): void {
  const allowed = rateLimiter(limits);
  const followed = new Map<ApiEvent, () => void>();
  const send = (message: ServerMessage): void => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
  };
  // Nothing is sent once the socket is closing, and its subscriptions end when it has closed.
  const refuse = (reason: string): void => socket.close(SOCKET_CLOSE.policy, reason);
  socket.on('message', (data, isBinary) => {
    if (socket.readyState !== socket.OPEN) return;
    if (!allowed()) return refuse('too many messages');
    if (isBinary) return refuse('text messages only');
    let parsed: unknown;
    try {
      parsed = JSON.parse(data.toString());
    } catch {
      return refuse('not JSON');
    }
    const message = clientMessageSchema.safeParse(parsed);
    if (!message.success) return refuse('not a station message');
    const { data: request } = message;
    if (request.type === 'call') {
      void dispatch(api, request.channel, request.payload).then((result) => send({ type: 'result', id: request.id, result }));
    } else if (request.type === 'subscribe') {
      followed.get(request.event)?.();
      const event = request.event;
      followed.set(event, api.subscribe(event, (payload) => send({ type: 'event', event, payload })));
    } else {
      followed.get(request.event)?.();
      followed.delete(request.event);
    }
  });
  // ws reports an oversized or malformed frame here and closes the socket itself (1009, 1002); without a
  // listener the error would stop the station.
  socket.on('error', () => undefined);
  socket.on('close', () => {
    for (const stop of followed.values()) stop();
    followed.clear();
  });
}
