// Who may talk to a served station. A browser proves itself with the secret the station printed at
// start (in the URL, as Jupyter does) once; the station answers with a signed cookie naming that
// browser, which then carries every request and the WebSocket upgrade. Host and Origin must be the
// station's own on every request, so a page elsewhere (DNS rebinding, a cross-site WebSocket) is
// refused even from a browser that holds the cookie.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** A browser's id in its cookie: random, and signed with the station's cookie key. */
export type BrowserId = string;

export interface AccessOptions {
  /** The address as browsers reach it: `127.0.0.1:8420`, `[::1]:8420`, `station.depot.example:8443`. */
  readonly authority: string;
  readonly tls: boolean;
  /** The secret printed at start; a browser shows it once, in the URL. */
  readonly token: string;
  /** Signs the cookies; kept in the data folder, so browsers stay admitted across station restarts. */
  readonly cookieKey: Buffer;
}

/** Why a request was refused: the HTTP status and a sentence for the browser. */
export interface Refusal {
  readonly status: number;
  readonly reason: string;
}

export const COOKIE_KEY_BYTES = 32;

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export class StationAccess {
  readonly #options: AccessOptions;
  readonly origin: string;
  /** `__Host-` binds a TLS cookie to this host and path `/` (no Domain attribute can widen it). */
  readonly cookieName: string;

  constructor(options: AccessOptions) {
    if (options.cookieKey.length < COOKIE_KEY_BYTES) throw new Error('the cookie key is too short');
    this.#options = options;
    // A browser leaves the scheme's default port out of the origin it sends (and of the Host): so does the station.
    const scheme = options.tls ? 'https' : 'http';
    const defaultPort = `:${options.tls ? 443 : 80}`;
    this.origin = `${scheme}://${options.authority.endsWith(defaultPort) ? hostOf(options.authority) : options.authority}`;
    this.cookieName = options.tls ? '__Host-lockstep' : 'lockstep';
  }

  /** The URL printed at start: the only place the secret is shown. */
  get startUrl(): string {
    return `${this.origin}/?token=${this.#options.token}`;
  }

  /**
   * Host and Origin of any request or upgrade. A browser sends Origin on every WebSocket and every
   * cross-origin or unsafe request; a top-level navigation may come without one, and Sec-Fetch-Site
   * then says whether it came from another site.
   */
  sameOrigin(headers: IncomingHttpHeaders, upgrade: boolean): Refusal | null {
    if (!this.#ownHost(headers.host)) return { status: 421, reason: 'this station answers only at its own address' };
    const origin = headers.origin;
    if (origin === undefined ? upgrade : origin !== this.origin) return { status: 403, reason: 'requests from another origin are refused' };
    const site = headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none') {
      return { status: 403, reason: "requests from another site are refused (paste the station's address into the address bar, do not follow a link to it)" };
    }
    return null;
  }

  /**
   * The station's own name, with its port or without one. What stops DNS rebinding is the name: a page of
   * another site reaches the station only under that site's name, refused here with or without a port.
   * A browser leaves the port out only for its scheme's default port, never for the station's own (8420,
   * 8443), so a Host without one comes from a tool such as testssl.sh, which could send any Host anyway;
   * the Origin a browser sends is still checked with the port, and another port named is refused.
   */
  #ownHost(host: string | undefined): boolean {
    const { authority } = this.#options;
    return host === authority || host === hostOf(authority);
  }

  /** The browser its cookie names, or null when it has none that this station signed. */
  browserOf(headers: IncomingHttpHeaders): BrowserId | null {
    const value = cookieValue(headers.cookie, this.cookieName);
    if (value === null) return null;
    const [id, mac, ...rest] = value.split('.');
    if (id === undefined || mac === undefined || rest.length > 0 || !/^[A-Za-z0-9_-]{22}$/.test(id)) return null;
    const expected = this.#mac(id);
    const given = Buffer.from(mac, 'base64url');
    return given.length === expected.length && timingSafeEqual(given, expected) ? id : null;
  }

  /** True when `token` is the secret printed at start. */
  tokenMatches(token: string): boolean {
    const expected = Buffer.from(this.#options.token);
    const given = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** A Set-Cookie header admitting a new browser: scripts cannot read it, no other site sends it. */
  newBrowserCookie(): string {
    const id = randomBytes(16).toString('base64url');
    const attributes = ['HttpOnly', 'SameSite=Strict', 'Path=/', ...(this.#options.tls ? ['Secure'] : [])];
    return [`${this.cookieName}=${id}.${this.#mac(id).toString('base64url')}`, ...attributes].join('; ');
  }

  #mac(id: string): Buffer {
    return createHmac('sha256', this.#options.cookieKey).update(`lockstep-browser:${id}`).digest();
  }
}

/** `station.example:8443` → `station.example`, `[::1]:8420` → `[::1]`. */
function hostOf(authority: string): string {
  return authority.slice(0, authority.lastIndexOf(':'));
}

function cookieValue(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return null;
}
