// A browser as `lockstep serve` sees it, for the serve tests: plain HTTP requests with the station's
// Host, the secret exchanged for a cookie, and station sockets that keep every message they receive.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { expect } from 'vitest';
import { WebSocket } from 'ws';
import type { ServedStation } from '../../../src/main/serve/server.ts';
import type { ServerMessage } from '../../../src/shared/station-socket.ts';

export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
}

export type Result = { ok: boolean; value?: unknown; error?: { code: string; failure: string | null } };

export class Client {
  readonly socket: WebSocket;
  readonly messages: ServerMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #id = 0;
  constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data: Buffer) => this.messages.push(JSON.parse(data.toString()) as ServerMessage));
    this.closed = new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  call(channel: string, payload?: unknown): Promise<Result> {
    const id = this.#id++;
    this.socket.send(JSON.stringify({ type: 'call', id, channel, payload }));
    return new Promise((resolve) => {
      const onMessage = (data: Buffer): void => {
        const message = JSON.parse(data.toString()) as ServerMessage;
        if (message.type !== 'result' || message.id !== id) return;
        this.socket.off('message', onMessage);
        resolve(message.result as Result);
      };
      this.socket.on('message', onMessage);
    });
  }

  /** The payloads of `event` received so far. */
  events(event: string): unknown[] {
    return this.messages.flatMap((message) => (message.type === 'event' && message.event === event ? [message.payload] : []));
  }

  async close(): Promise<void> {
    this.socket.close();
    await this.closed;
  }
}

export interface BrowserSide {
  readonly host: string;
  get(path: string, headers?: Record<string, string>, method?: string): Promise<Answer>;
  /** A GET with its body read as UTF-8 text. */
  text(path: string, headers?: Record<string, string>): Promise<Answer & { readonly body: string }>;
  /** A browser admitted by the secret: its cookie. */
  admit(): Promise<string>;
  /** A station socket as a browser on the station's page opens it, unless `headers` say otherwise. */
  connect(cookie: string | null, headers?: Record<string, string>): Promise<Client>;
}

export function browserSide(served: ServedStation, token: string): BrowserSide {
  const host = new URL(served.origin).host;
  const get = (path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer & { readonly body: string }> =>
    new Promise((resolve, reject) => {
      const request = httpRequest(`${served.origin}${path}`, { method, headers: { Host: host, ...headers } }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
      });
      request.on('error', reject);
      request.end();
    });
  return {
    host,
    get,
    text: (path, headers) => get(path, headers),
    async admit() {
      const answer = await get(`/?token=${token}`);
      expect(answer.status).toBe(303);
      expect(answer.headers.location).toBe('/');
      const cookie = answer.headers['set-cookie']?.[0] ?? '';
      expect(cookie).toMatch(/; HttpOnly; SameSite=Strict; Path=\/$/);
      return cookie.split(';')[0] as string;
    },
    connect: (cookie, headers = {}) =>
      new Promise((resolve, reject) => {
        const socket = new WebSocket(`ws://${host}/station`, { headers: { Origin: served.origin, ...(cookie ? { Cookie: cookie } : {}), ...headers } });
        socket.once('open', () => resolve(new Client(socket)));
        socket.once('unexpected-response', (_request, response) => reject(new Error(`refused ${response.statusCode}`)));
        socket.once('error', reject);
      }),
  };
}
