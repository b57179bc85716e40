// `lockstep serve`'s doors, over real HTTP and WebSocket to a real station: the secret printed at
// start admits a browser by cookie, and each refused approach (no cookie, a wrong secret, a forged
// cookie, a foreign Origin, a forged Host, a WebSocket from another origin, an undeclared message or
// payload, an oversized message, a flood) changes nothing while the station goes on serving others.
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { openStationRecords } from '../../../src/main/records/station-records.ts';
import { loadRendererFiles } from '../../../src/main/serve/renderer-files.ts';
import { SERVE_REFUSALS } from '../../../src/main/serve/refusal-words.ts';
import { serveStation, type ServedStation } from '../../../src/main/serve/server.ts';
import { openStation, type OpenedStation } from '../../../src/main/station/open-station.ts';
import { SETTINGS_FILE } from '../../../src/main/station/settings.ts';
import { ADMIN, addDepotOperators, TECHNICIAN } from '../../depot-operators.ts';
import { requireTools } from '../../support/tools.ts';
import { browserSide, type BrowserSide } from './browser.ts';

const CSP = "default-src 'none'; script-src 'self'; connect-src 'self'";
const TOKEN = 'the-secret-printed-at-start-0123456789abcdef';
// Admissions are counted in their own test below, on a station of their own; the other tests admit a browser each.
const LIMITS = { maxMessageBytes: 4096, burst: 20, perSecond: 5, maxSockets: 16, maxSocketsPerBrowser: 2, sessionGraceMs: 60_000, admissionsPerStart: 1000 };

let dir: string;
let opened: OpenedStation;
let served: ServedStation;
let browser: BrowserSide;

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
  browser = browserSide(served, TOKEN);
}, 60_000);

afterAll(async () => {
  await served?.close();
  await opened?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What every refused approach must leave as it was: the settings file; and a new browser is served, signed out. */
async function expectUnchangedAndServing(): Promise<void> {
  expect(JSON.parse(readFileSync(join(dir, SETTINGS_FILE), 'utf8'))).toEqual({ slotNames: {} });
  const other = await browser.connect(await browser.admit());
  expect(await other.call('station.info')).toMatchObject({ ok: true, value: { name: 'lockstep' } });
  expect(await other.call('session.current')).toEqual({ ok: true, value: null });
  expect(await other.call('session.signIn', TECHNICIAN)).toMatchObject({ ok: true, value: { operator: { id: TECHNICIAN.id } } });
  other.socket.close();
  await other.closed;
}

describe('HTTP', () => {
  it('admits a browser by the secret, then serves the page with its own CSP and no CORS', async () => {
    const cookie = await browser.admit();
    const page = await browser.get('/', { Cookie: cookie });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toBe(CSP);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(Object.keys(page.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
    expect((await browser.get('/assets/index.js', { Cookie: cookie })).status).toBe(200);
    const preflight = await browser.get('/', { Cookie: cookie, Origin: 'https://evil.example', 'Access-Control-Request-Method': 'GET' }, 'OPTIONS');
    expect(preflight.status).toBe(403);
    expect(Object.keys(preflight.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
  });

  it('refuses a browser without a cookie, with a forged one, or with a wrong secret', async () => {
    expect((await browser.get('/')).status).toBe(401);
    expect((await browser.get('/assets/index.js')).status).toBe(401);
    const [name, value] = (await browser.admit()).split('=') as [string, string];
    const [id] = value.split('.');
    expect((await browser.get('/', { Cookie: `${name}=${id}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA` })).status).toBe(401);
    const wrong = await browser.get('/?token=not-the-secret');
    expect(wrong.status).toBe(403);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    expect((await browser.get(`/?token=${TOKEN}x`)).status).toBe(403);
    await expectUnchangedAndServing();
  });

  it('refuses a foreign Origin, another site, and a forged Host (DNS rebinding), even with the cookie', async () => {
    const cookie = await browser.admit();
    expect((await browser.get('/', { Cookie: cookie, Origin: 'http://evil.example' })).status).toBe(403);
    expect((await browser.get('/', { Cookie: cookie, 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    expect((await browser.get('/', { Cookie: cookie, Host: 'evil.example' })).status).toBe(421);
    expect((await browser.get(`/?token=${TOKEN}`, { Host: `rebound.example:${new URL(served.origin).port}` })).status).toBe(421);
    expect((await browser.get('/', { Cookie: cookie, Host: '127.0.0.1:1' })).status).toBe(421);
    // The station's own name without the port (as testssl.sh sends it; no browser does for this port) is its own.
    expect((await browser.get('/', { Cookie: cookie, Host: '127.0.0.1' })).status).toBe(200);
    await expectUnchangedAndServing();
  });
});

/** Each NSE script's output from nmap's XML report (`-oX -`), by script id; a script with nothing to say is absent. */
function nmapScripts(xml: string): Map<string, string> {
  const unescape = (text: string): string =>
    text.replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(Number.parseInt(hex, 16))).replace(/&(lt|gt|quot|apos|amp);/g, (_, name: string) =>
      ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[name] ?? '');
  return new Map([...xml.matchAll(/<script id="([^"]+)" output="([^"]*)"/g)].map(([, id, output]) => [id as string, unescape(output as string)]));
}

describe('HTTP, as nmap sees it from outside', () => {
  // nmap's NSE HTTP scripts (Debian main) over the plain-HTTP listener: testssl.sh, which scans the TLS one, speaks only TLS.
  // "+" runs each script whatever nmap guesses the port's service to be; the cookie check asks the printed address and
  // names the station's cookie (the script's own list knows only common session cookie names).
  it('finds the security headers, no cookie without HttpOnly, no risky method, no TRACE and no server banner', async (context: TestContext) => {
    requireTools(context, 'nmap');
    const { hostname, port } = new URL(served.origin);
    const scripts = ['http-security-headers', 'http-cookie-flags', 'http-methods', 'http-trace', 'http-server-header'].map((name) => `+${name}`);
    const xml = await new Promise<string>((resolve, reject) => {
      const args = ['-Pn', '-n', '-p', port, '--script', scripts.join(','), '--script-args', `http-cookie-flags.path='/?token=${TOKEN}',http-cookie-flags.cookie=lockstep`, '-oX', '-', hostname];
      execFile('nmap', args, { timeout: 60_000 }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
    });
    const found = nmapScripts(xml);
    // A finding is what these scripts print when something is wrong; with nothing to report they print nothing.
    expect([...found.keys()].filter((id) => id !== 'http-security-headers' && id !== 'http-methods')).toEqual([]);
    expect(found.get('http-methods')).toMatch(/Supported Methods: GET HEAD/);
    expect(found.get('http-methods')).not.toMatch(/risky/i);
    const headers = found.get('http-security-headers') ?? '';
    for (const header of ['X-Frame-Options: DENY', 'X-Content-Type-Options: nosniff', `Content-Security-Policy: default-src 'none'`, 'Cache-Control: no-store']) {
      expect(headers).toContain(header);
    }
  });
});

describe('WebSocket', () => {
  it('refuses an upgrade without a cookie, from another origin, without an Origin, or to a forged Host', async () => {
    const cookie = await browser.admit();
    await expect(browser.connect(null)).rejects.toThrow('refused 401');
    await expect(browser.connect(cookie, { Origin: 'http://evil.example' })).rejects.toThrow('refused 403');
    await expect(browser.connect(cookie, { Origin: '' })).rejects.toThrow('refused 403');
    await expect(browser.connect(cookie, { Host: 'evil.example' })).rejects.toThrow('refused 421');
    // Its name without the port passes the Host check; an Origin without the port is still another origin.
    await expect(browser.connect(cookie, { Host: '127.0.0.1', Origin: 'http://127.0.0.1' })).rejects.toThrow('refused 403');
    await expectUnchangedAndServing();
  });

  it('answers an undeclared channel or payload with a refusal, and closes on a message it does not declare', async () => {
    const client = await browser.connect(await browser.admit());
    expect(await client.call('station.shutdown')).toMatchObject({ ok: false, error: { code: 'unknown-channel' } });
    expect(await client.call('session.signIn', { ...ADMIN, role: 'admin' })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(await client.call('settings.slotName', { slot: '1-1.1', name: 'X1' })).toMatchObject({ ok: false, error: { failure: 'NOT_SIGNED_IN' } });
    expect(await client.call('session.current')).toEqual({ ok: true, value: null });
    client.socket.send(JSON.stringify({ type: 'call', id: 9, channel: 'session.signIn', payload: ADMIN, also: 'this' }));
    expect(await client.closed).toEqual({ code: 1008, reason: 'not a station message' });
    expect(client.messages.filter((message) => message.type === 'result' && message.id === 9)).toEqual([]);
    const second = await browser.connect(await browser.admit());
    second.socket.send('{ not json');
    expect(await second.closed).toMatchObject({ code: 1008 });
    await expectUnchangedAndServing();
  });

  it('closes a socket that sends an oversized message, before anything runs', async () => {
    const client = await browser.connect(await browser.admit());
    expect(await client.call('session.signIn', ADMIN)).toMatchObject({ ok: true });
    client.socket.send(JSON.stringify({ type: 'call', id: 5, channel: 'settings.slotName', payload: { slot: '1-1.1', name: 'X'.repeat(LIMITS.maxMessageBytes) } }));
    expect((await client.closed).code).toBe(1009);
    expect(client.messages.filter((message) => message.type === 'result' && message.id === 5)).toEqual([]);
    await expectUnchangedAndServing();
  });

  it('closes a socket that floods the station, running nothing past its share', async () => {
    const client = await browser.connect(await browser.admit());
    for (let id = 0; id < 500; id += 1) client.socket.send(JSON.stringify({ type: 'call', id, channel: 'settings.slotName', payload: { slot: '1-1.1', name: `F${id}` } }));
    expect(await client.closed).toEqual({ code: 1008, reason: 'too many messages' });
    expect(client.messages.filter((message) => message.type === 'result' && message.id >= LIMITS.burst)).toEqual([]);
    await expectUnchangedAndServing();
  });
});

describe('browsers', () => {
  it('gives each browser its own operator session, shared by its own tabs', async () => {
    const firstCookie = await browser.admit();
    const first = await browser.connect(firstCookie);
    const firstTab = await browser.connect(firstCookie);
    const second = await browser.connect(await browser.admit());
    expect(await first.call('session.signIn', TECHNICIAN)).toMatchObject({ ok: true });
    expect(await firstTab.call('session.current')).toMatchObject({ ok: true, value: { operator: { id: TECHNICIAN.id } } });
    expect(await second.call('session.current')).toEqual({ ok: true, value: null });
    expect(await second.call('session.signIn', ADMIN)).toMatchObject({ ok: true });
    expect(await second.call('session.signOut')).toEqual({ ok: true, value: null });
    expect(await first.call('session.current')).toMatchObject({ ok: true, value: { operator: { id: TECHNICIAN.id } } });
    for (const client of [first, firstTab, second]) client.socket.close();
  });

  it('gives one browser at most its share of the sockets, closing more with a reason, while other browsers are served', async () => {
    const cookie = await browser.admit();
    const tabs = [await browser.connect(cookie), await browser.connect(cookie)];
    const flood = await Promise.all(Array.from({ length: LIMITS.maxSockets }, () => browser.connect(cookie)));
    for (const tab of flood) {
      expect(await tab.closed).toEqual({ code: 1013, reason: `this browser already has ${LIMITS.maxSocketsPerBrowser} station tabs open; close one` });
    }
    expect(await tabs[0]?.call('session.current')).toEqual({ ok: true, value: null });
    await expectUnchangedAndServing();
    for (const tab of tabs) await tab.close();
  });

  it('counts no upgrade without a cookie towards the station\'s sockets', async () => {
    const refused = await Promise.allSettled(Array.from({ length: LIMITS.maxSockets * 2 }, () => browser.connect(null)));
    expect(refused.map((attempt) => (attempt.status === 'rejected' ? String(attempt.reason) : 'open'))).toEqual(
      Array(LIMITS.maxSockets * 2).fill('Error: refused 401'),
    );
    const admitted = await Promise.all(Array.from({ length: LIMITS.maxSocketsPerBrowser }, async () => browser.connect(await browser.admit())));
    for (const client of admitted) expect(await client.call('station.info')).toMatchObject({ ok: true });
    await expectUnchangedAndServing();
    for (const client of admitted) await client.close();
  });
});

describe('admissions', () => {
  it('admits as many new browsers per start as the limit, then refuses with a coded sentence in the browser\'s language', async () => {
    const ADMISSIONS = 2;
    const station = await serveStation({
      station: opened.station,
      renderer: await loadRendererFiles(join(dir, 'renderer')),
      host: '127.0.0.1',
      port: 0,
      tls: null,
      token: TOKEN,
      cookieKey: Buffer.alloc(32, 7),
      limits: { ...LIMITS, admissionsPerStart: ADMISSIONS },
    });
    try {
      const side = browserSide(station, TOKEN);
      const cookies = [await side.admit(), await side.admit()];
      // An admitted browser that opens the address again keeps its cookie and uses up nothing.
      const again = await side.get(`/?token=${TOKEN}`, { Cookie: cookies[0] as string });
      expect([again.status, again.headers.location, again.headers['set-cookie']]).toEqual([303, '/', undefined]);
      const refused = await side.text(`/?token=${TOKEN}`, { 'Accept-Language': 'en-GB,en;q=0.9' });
      expect(refused.status).toBe(403);
      expect(refused.headers['set-cookie']).toBeUndefined();
      expect(refused.body).toBe(`Lockstep (ADMISSIONS_USED_UP): ${SERVE_REFUSALS.ADMISSIONS_USED_UP.en(ADMISSIONS)}\n`);
      const chinese = await side.text(`/?token=${TOKEN}`, { 'Accept-Language': 'zh-CN,zh;q=0.9,en;q=0.8' });
      expect([chinese.status, chinese.body]).toEqual([403, `Lockstep（ADMISSIONS_USED_UP）：${SERVE_REFUSALS.ADMISSIONS_USED_UP['zh-CN'](ADMISSIONS)}\n`]);
      // The browsers already admitted are served as before.
      for (const cookie of cookies) {
        const client = await side.connect(cookie);
        expect(await client.call('station.info')).toMatchObject({ ok: true });
        await client.close();
      }
    } finally {
      await station.close();
    }
  });
});
