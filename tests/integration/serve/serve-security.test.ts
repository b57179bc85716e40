// `lockstep serve`'s doors, over real HTTP and WebSocket to a real station: the secret printed at
// start admits a browser by cookie, and each refused approach (no cookie, a wrong secret, a forged
// cookie, a foreign Origin, a forged Host, a WebSocket from another origin, an undeclared message or
// payload, an oversized message, a flood) changes nothing while the station goes on serving others.
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { openStationRecords } from '../../../src/main/records/station-records.ts';
import { loadRendererFiles } from '../../../src/main/serve/renderer-files.ts';
import { serveStation, type ServedStation } from '../../../src/main/serve/server.ts';
import { openStation, type OpenedStation } from '../../../src/main/station/open-station.ts';
import { SETTINGS_FILE } from '../../../src/main/station/settings.ts';
import type { ServerMessage } from '../../../src/shared/station-socket.ts';
import { ADMIN, addDepotOperators, TECHNICIAN } from '../../depot-operators.ts';

const CSP = "default-src 'none'; script-src 'self'; connect-src 'self'";
const TOKEN = 'the-secret-printed-at-start-0123456789abcdef';
const LIMITS = { maxMessageBytes: 4096, burst: 20, perSecond: 5, maxSockets: 16, sessionGraceMs: 60_000 };

let dir: string;
let opened: OpenedStation;
let served: ServedStation;
let host: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lockstep-serve-'));
  const rendererDir = join(dir, 'renderer');
  mkdirSync(join(rendererDir, 'assets'), { recursive: true });
  const page = `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="${CSP}" /></head><body></body></html>`;
  writeFileSync(join(rendererDir, 'index.html'), page);
  writeFileSync(join(rendererDir, 'assets', 'index.js'), 'export {};\n');
  const records = openStationRecords(dir);
  addDepotOperators(records);
  records.close();
  writeFileSync(join(dir, SETTINGS_FILE), JSON.stringify({ slotNames: {} }));
  opened = await openStation({ dataDir: dir, fleet: 'simulated', demo: true });
  served = await serveStation({
    station: opened.station,
    renderer: await loadRendererFiles(rendererDir),
    host: '127.0.0.1',
    port: 0,
    tls: null,
    token: TOKEN,
    cookieKey: Buffer.alloc(32, 7),
    limits: LIMITS,
  });
  host = new URL(served.origin).host;
}, 60_000);

afterAll(async () => {
  await served?.close();
  await opened?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
}

function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${served.origin}${path}`, { method, headers: { Host: host, ...headers } }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers }));
    });
    request.on('error', reject);
    request.end();
  });
}

/** A browser admitted by the secret: its cookie. */
async function admit(): Promise<string> {
  const answer = await get(`/?token=${TOKEN}`);
  expect(answer.status).toBe(303);
  expect(answer.headers.location).toBe('/');
  const cookie = answer.headers['set-cookie']?.[0] ?? '';
  expect(cookie).toMatch(/; HttpOnly; SameSite=Strict; Path=\/$/);
  return cookie.split(';')[0] as string;
}

type Result = { ok: boolean; value?: unknown; error?: { code: string; failure: string | null } };

class Client {
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
}

/** A station socket as a browser on the station's page opens it, unless `headers` say otherwise. */
function connect(cookie: string | null, headers: Record<string, string> = {}): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://${host}/station`, { headers: { Origin: served.origin, ...(cookie ? { Cookie: cookie } : {}), ...headers } });
    socket.once('open', () => resolve(new Client(socket)));
    socket.once('unexpected-response', (_request, response) => reject(new Error(`refused ${response.statusCode}`)));
    socket.once('error', reject);
  });
}

/** What every refused approach must leave as it was: the settings file; and a new browser is served, signed out. */
async function expectUnchangedAndServing(): Promise<void> {
  expect(JSON.parse(readFileSync(join(dir, SETTINGS_FILE), 'utf8'))).toEqual({ slotNames: {} });
  const other = await connect(await admit());
  expect(await other.call('station.info')).toMatchObject({ ok: true, value: { name: 'lockstep' } });
  expect(await other.call('session.current')).toEqual({ ok: true, value: null });
  expect(await other.call('session.signIn', TECHNICIAN)).toMatchObject({ ok: true, value: { operator: { id: TECHNICIAN.id } } });
  other.socket.close();
  await other.closed;
}

describe('HTTP', () => {
  it('admits a browser by the secret, then serves the page with its own CSP and no CORS', async () => {
    const cookie = await admit();
    const page = await get('/', { Cookie: cookie });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toBe(CSP);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(Object.keys(page.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
    expect((await get('/assets/index.js', { Cookie: cookie })).status).toBe(200);
    const preflight = await get('/', { Cookie: cookie, Origin: 'https://evil.example', 'Access-Control-Request-Method': 'GET' }, 'OPTIONS');
    expect(preflight.status).toBe(403);
    expect(Object.keys(preflight.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
  });

  it('refuses a browser without a cookie, with a forged one, or with a wrong secret', async () => {
    expect((await get('/')).status).toBe(401);
    expect((await get('/assets/index.js')).status).toBe(401);
    const [name, value] = (await admit()).split('=') as [string, string];
    const [id] = value.split('.');
    expect((await get('/', { Cookie: `${name}=${id}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA` })).status).toBe(401);
    const wrong = await get('/?token=not-the-secret');
    expect(wrong.status).toBe(403);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    expect((await get(`/?token=${TOKEN}x`)).status).toBe(403);
    await expectUnchangedAndServing();
  });

  it('refuses a foreign Origin, another site, and a forged Host (DNS rebinding), even with the cookie', async () => {
    const cookie = await admit();
    expect((await get('/', { Cookie: cookie, Origin: 'http://evil.example' })).status).toBe(403);
    expect((await get('/', { Cookie: cookie, 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    expect((await get('/', { Cookie: cookie, Host: 'evil.example' })).status).toBe(421);
    expect((await get(`/?token=${TOKEN}`, { Host: `rebound.example:${new URL(served.origin).port}` })).status).toBe(421);
    await expectUnchangedAndServing();
  });
});

describe('WebSocket', () => {
  it('refuses an upgrade without a cookie, from another origin, without an Origin, or to a forged Host', async () => {
    const cookie = await admit();
    await expect(connect(null)).rejects.toThrow('refused 401');
    await expect(connect(cookie, { Origin: 'http://evil.example' })).rejects.toThrow('refused 403');
    await expect(connect(cookie, { Origin: '' })).rejects.toThrow('refused 403');
    await expect(connect(cookie, { Host: 'evil.example' })).rejects.toThrow('refused 421');
    await expectUnchangedAndServing();
  });

  it('answers an undeclared channel or payload with a refusal, and closes on a message it does not declare', async () => {
    const client = await connect(await admit());
    expect(await client.call('station.shutdown')).toMatchObject({ ok: false, error: { code: 'unknown-channel' } });
    expect(await client.call('session.signIn', { ...ADMIN, role: 'admin' })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(await client.call('settings.slotName', { slot: '1-1.1', name: 'X1' })).toMatchObject({ ok: false, error: { failure: 'NOT_SIGNED_IN' } });
    expect(await client.call('session.current')).toEqual({ ok: true, value: null });
    client.socket.send(JSON.stringify({ type: 'call', id: 9, channel: 'session.signIn', payload: ADMIN, also: 'this' }));
    expect(await client.closed).toEqual({ code: 1008, reason: 'not a station message' });
    expect(client.messages.filter((message) => message.type === 'result' && message.id === 9)).toEqual([]);
    const second = await connect(await admit());
    second.socket.send('{ not json');
    expect(await second.closed).toMatchObject({ code: 1008 });
    await expectUnchangedAndServing();
  });

  it('closes a socket that sends an oversized message, before anything runs', async () => {
    const client = await connect(await admit());
    expect(await client.call('session.signIn', ADMIN)).toMatchObject({ ok: true });
    client.socket.send(JSON.stringify({ type: 'call', id: 5, channel: 'settings.slotName', payload: { slot: '1-1.1', name: 'X'.repeat(LIMITS.maxMessageBytes) } }));
    expect((await client.closed).code).toBe(1009);
    expect(client.messages.filter((message) => message.type === 'result' && message.id === 5)).toEqual([]);
    await expectUnchangedAndServing();
  });

  it('closes a socket that floods the station, running nothing past its share', async () => {
    const client = await connect(await admit());
    for (let id = 0; id < 500; id += 1) client.socket.send(JSON.stringify({ type: 'call', id, channel: 'settings.slotName', payload: { slot: '1-1.1', name: `F${id}` } }));
    expect(await client.closed).toEqual({ code: 1008, reason: 'too many messages' });
    expect(client.messages.filter((message) => message.type === 'result' && message.id >= LIMITS.burst)).toEqual([]);
    await expectUnchangedAndServing();
  });
});

describe('browsers', () => {
  it('gives each browser its own operator session, shared by its own tabs', async () => {
    const firstCookie = await admit();
    const first = await connect(firstCookie);
    const firstTab = await connect(firstCookie);
    const second = await connect(await admit());
    expect(await first.call('session.signIn', TECHNICIAN)).toMatchObject({ ok: true });
    expect(await firstTab.call('session.current')).toMatchObject({ ok: true, value: { operator: { id: TECHNICIAN.id } } });
    expect(await second.call('session.current')).toEqual({ ok: true, value: null });
    expect(await second.call('session.signIn', ADMIN)).toMatchObject({ ok: true });
    expect(await second.call('session.signOut')).toEqual({ ok: true, value: null });
    expect(await first.call('session.current')).toMatchObject({ ok: true, value: { operator: { id: TECHNICIAN.id } } });
    for (const client of [first, firstTab, second]) client.socket.close();
  });
});
