// `lockstep serve`'s HTTP and WebSocket side: the built renderer and the station API on one origin.
// Every request and upgrade must name the station's own address (Host) and come from its own page
// (Origin); a browser is admitted by the secret printed at start, exchanged for a cookie, and each
// admitted browser gets its own operator session on the one station core.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Station } from '../station/station.ts';
import { STATION_SOCKET_PATH, SOCKET_CLOSE } from '../../shared/station-socket.ts';
import { StationAccess } from './access.ts';
import { authorityOf } from './listen-address.ts';
import { BrowserSessions } from './browser-sessions.ts';
import { serveRefusalText } from './refusal-words.ts';
import type { RendererFiles } from './renderer-files.ts';
import { serveSocket, type SocketLimits } from './socket-connection.ts';

export interface ServeOptions {
  readonly station: Station;
  readonly renderer: RendererFiles;
  /** The name browsers use to reach the station, and listen on (listen-address.ts). */
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly tls: { readonly cert: Buffer; readonly key: Buffer } | null;
  readonly token: string;
  readonly cookieKey: Buffer;
  readonly limits?: Partial<ServeLimits>;
}

export interface ServeLimits extends SocketLimits {
  /** The largest message a browser may send, in bytes: the biggest request is a few kilobytes. */
  readonly maxMessageBytes: number;
  /** Open sockets across all browsers. */
  readonly maxSockets: number;
  /** Open sockets of one browser (one cookie), so that one browser cannot take them all. */
  readonly maxSocketsPerBrowser: number;
  /** How long a signed-in browser without a socket stays signed in (a reload, a blip). */
  readonly sessionGraceMs: number;
  /** New browsers the secret printed at this start admits, each a cookie (ADMISSIONS_PER_START). */
  readonly admissionsPerStart: number;
}

/**
 * A station page holds one socket; a person may keep the grid, History and Settings open in three tabs,
 * and a reload opens the new socket before the old one has closed. Four covers that; a flood of tabs
 * from one browser then holds at most four of the station's sockets, and the supervisor's browser
 * still gets in.
 */
export const SOCKETS_PER_BROWSER = 4;

/**
 * A depot's station has a few displays (a wall screen, a tablet, the supervisor's PC, a technician's
 * laptop), each admitted once and kept by its cookie across restarts. Six new browsers per start covers
 * that; whoever else holds the printed secret can then admit at most six (24 of the 32 sockets, at four
 * a browser), and the station's operator restarts it for a new secret (docs/ui.md).
 */
export const ADMISSIONS_PER_START = 6;

export const DEFAULT_SERVE_LIMITS: ServeLimits = {
  maxMessageBytes: 64 * 1024,
  burst: 40,
  perSecond: 20,
  maxSockets: 32,
  maxSocketsPerBrowser: SOCKETS_PER_BROWSER,
  sessionGraceMs: 60_000,
  admissionsPerStart: ADMISSIONS_PER_START,
};

export interface ServedStation {
  /** The URL with the secret, printed once at start. */
  readonly startUrl: string;
  readonly origin: string;
  close(): Promise<void>;
}

/**
 * TLS 1.2 and 1.3 only, and under 1.2 only forward-secret AEAD suites: Node's defaults also offer
 * CBC suites, which testssl.sh rates "average" and potentially LUCKY13-prone. Every browser a depot
 * would use as a display speaks these.
 */
const TLS_POLICY = {
  minVersion: 'TLSv1.2',
  ciphers: ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
    'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305'].join(':'),
  honorCipherOrder: true,
} as const;

/** Headers on every answer: the page's own CSP, no framing, no referrer (the first URL holds the secret), no sniffing. */
function baseHeaders(csp: string): Record<string, string> {
  return {
    'Content-Security-Policy': csp,
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
}

export async function serveStation(options: ServeOptions): Promise<ServedStation> {
  const limits = { ...DEFAULT_SERVE_LIMITS, ...options.limits };
  // Under TLS the browser is told to come back over https only (a year): no downgrade by a LAN attacker.
  const headers = { ...baseHeaders(options.renderer.contentSecurityPolicy), ...(options.tls ? { 'Strict-Transport-Security': 'max-age=31536000' } : {}) };
  const server: Server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key, ...TLS_POLICY }) : createHttpServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the server has no TCP address');
  const access = new StationAccess({
    authority: authorityOf(options.host, address.port),
    tls: options.tls !== null,
    token: options.token,
    cookieKey: options.cookieKey,
  });
  const sessions = new BrowserSessions(limits.sessionGraceMs);
  const sockets = new WebSocketServer({ noServer: true, maxPayload: limits.maxMessageBytes, perMessageDeflate: false });
  /** The sockets being served a session: what the station's cap counts. */
  const served = new Set<WebSocket>();
  /** Browsers the secret admitted since this start. */
  let admitted = 0;

  const answer = (response: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void => {
    response.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8', ...extra });
    response.end(`${text}\n`);
  };

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const refusal = access.sameOrigin(request.headers, false);
    if (refusal) return answer(response, refusal.status, `Lockstep: ${refusal.reason}.`);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return answer(response, 405, 'Lockstep: the station serves pages only.', { Allow: 'GET, HEAD' });
    }
    const url = new URL(request.url ?? '/', access.origin);
    const token = url.searchParams.get('token');
    if (url.pathname === '/' && token !== null) {
      if (!access.tokenMatches(token)) return answer(response, 403, 'Lockstep: that is not the secret this station printed at start.');
      // A browser already admitted (the address opened again, a bookmark) keeps its cookie and uses up nothing.
      if (access.browserOf(request.headers) !== null) return answer(response, 303, 'Lockstep: admitted.', { Location: '/' });
      if (admitted >= limits.admissionsPerStart) {
        return answer(response, 403, serveRefusalText('ADMISSIONS_USED_UP', request.headers['accept-language'], limits.admissionsPerStart));
      }
      admitted += 1;
      // The secret leaves the address bar at once; the cookie admits this browser from now on.
      return answer(response, 303, 'Lockstep: admitted.', { Location: '/', 'Set-Cookie': access.newBrowserCookie() });
    }
    if (access.browserOf(request.headers) === null) {
      return answer(response, 401, 'Lockstep: open the address the station printed when it started (it holds a secret).');
    }
    const file = options.renderer.files.get(url.pathname);
    if (!file) return answer(response, 404, 'Lockstep: not found.');
    response.writeHead(200, { ...headers, 'Content-Type': file.type, 'Content-Length': String(file.body.length) });
    response.end(request.method === 'HEAD' ? undefined : file.body);
  });

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node hands the raw socket over without an error listener: a peer that resets it must not stop the station.
    socket.on('error', () => socket.destroy());
    // A refused peer's connection is closed once the answer is out, whether or not it ever closes its side.
    const refuse = (status: number, reason: string): void => {
      socket.once('finish', () => socket.destroy());
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const refusal = access.sameOrigin(request.headers, true);
    if (refusal) return refuse(refusal.status, 'Refused');
    if (new URL(request.url ?? '/', access.origin).pathname !== STATION_SOCKET_PATH) return refuse(404, 'Not Found');
    const browser = access.browserOf(request.headers);
    // Only an admitted browser gets this far, so upgrades without the cookie never count towards the cap.
    if (browser === null) return refuse(401, 'Unauthorized');
    if (served.size >= limits.maxSockets) return refuse(503, 'Service Unavailable');
    sockets.handleUpgrade(request, socket, head, (ws) => {
      // Refused as an open socket closed with a reason, which a page can read and show (an HTTP refusal it
      // cannot); it never counts as served, so refused sockets still closing cannot fill the station's cap.
      if (sessions.socketsOf(browser) >= limits.maxSocketsPerBrowser) {
        ws.on('error', () => undefined);
        ws.close(SOCKET_CLOSE.tryAgainLater, `this browser already has ${limits.maxSocketsPerBrowser} station tabs open; close one`);
        return;
      }
      const session = sessions.attach(browser);
      served.add(ws);
      ws.once('close', () => {
        served.delete(ws);
        sessions.detach(browser);
      });
      serveSocket(ws, options.station.forSession(session), limits);
    });
  });

  return {
    startUrl: access.startUrl,
    origin: access.origin,
    close: async () => {
      for (const client of sockets.clients) client.close(SOCKET_CLOSE.goingAway, 'the station is stopping');
      sessions.close();
      await new Promise<void>((resolve) => {
        sockets.close(() => resolve());
      });
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
