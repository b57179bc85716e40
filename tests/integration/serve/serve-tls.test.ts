// `lockstep serve` under TLS: the page and the WebSocket over https/wss with the depot's certificate,
// and a cookie bound to this host (`__Host-`, Secure) so it never travels over plain HTTP; and the
// listener as testssl.sh sees it from outside.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, type TestContext } from 'vitest';
import { WebSocket } from 'ws';
import { loadRendererFiles } from '../../../src/main/serve/renderer-files.ts';
import { serveStation, type ServedStation } from '../../../src/main/serve/server.ts';
import { openStation, type OpenedStation } from '../../../src/main/station/open-station.ts';
import { missingTools, requireTools, suiteSkipReason } from '../../support/tools.ts';

const OPENSSL = suiteSkipReason(missingTools(['openssl'])) === null;
let dir: string;
let opened: OpenedStation;
let served: ServedStation;
let ca: Buffer;

beforeAll(async () => {
  if (!OPENSSL) return;
  dir = mkdtempSync(join(tmpdir(), 'lockstep-serve-tls-'));
  const certificate = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1'];
  const made = spawnSync('openssl', [...certificate, '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', 'key.pem', '-out', 'cert.pem'], { cwd: dir, encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr}`);
  ca = readFileSync(join(dir, 'cert.pem'));
  const rendererDir = join(dir, 'renderer');
  mkdirSync(rendererDir);
  writeFileSync(join(rendererDir, 'index.html'), `<meta http-equiv="Content-Security-Policy" content="default-src 'none'" />`);
  opened = await openStation({ dataDir: dir, fleet: 'simulated', demo: true });
  served = await serveStation({
    station: opened.station,
    renderer: await loadRendererFiles(rendererDir),
    host: '127.0.0.1',
    port: 0,
    tls: { cert: ca, key: readFileSync(join(dir, 'key.pem')) },
    token: 'tls-secret',
    cookieKey: Buffer.alloc(32, 9),
  });
}, 60_000);

afterAll(async () => {
  await served?.close();
  await opened?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it.runIf(OPENSSL)('admits over https with a host-bound Secure cookie and serves the station over wss', async () => {
  expect(served.startUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/\?token=tls-secret$/);
  const setCookie = await new Promise<string>((resolve, reject) => {
    request(served.startUrl, { ca }, (response) => {
      response.resume();
      resolve(response.headers['set-cookie']?.[0] ?? '');
    })
      .on('error', reject)
      .end();
  });
  expect(setCookie).toMatch(/^__Host-lockstep=[^;]+; HttpOnly; SameSite=Strict; Path=\/; Secure$/);
  const headers = { Origin: served.origin, Cookie: setCookie.split(';')[0] as string };
  const socket = new WebSocket(`${served.origin.replace('https', 'wss')}/station`, { ca, headers });
  const answer = await new Promise<string>((resolve, reject) => {
    socket.once('open', () => socket.send(JSON.stringify({ type: 'call', id: 1, channel: 'station.info' })));
    socket.once('message', (data: Buffer) => resolve(data.toString()));
    socket.once('error', reject);
  });
  expect(JSON.parse(answer)).toMatchObject({ type: 'result', id: 1, result: { ok: true, value: { name: 'lockstep' } } });
  socket.close();
});

/**
 * What testssl.sh may report without failing the scan: notes about the scanner, not the station. The
 * certificate checks (-S) are left out: the test certificate is self-signed and short-lived on purpose,
 * and a depot's own certificate is the depot's to keep.
 */
const ACCEPTED = new Map([
  ['engine_problem', "Debian's openssl has no GOST engine: testssl.sh cannot try GOST suites, which Node offers none of"],
  ['HTTP_status_code', 'the scanned address is the one printed at start, which admits the browser and redirects (303) to the page'],
]);

it.runIf(OPENSSL)('offers testssl.sh no protocol, cipher, forward-secrecy or header finding', async (context: TestContext) => {
  requireTools(context, 'testssl');
  const report = join(dir, 'testssl.json');
  // Protocols, cipher strength, forward secrecy and the headers (-h): about two minutes on a loaded 2-core machine.
  // (-U, the vulnerability list, takes minutes more; the suites it probes are the ones -s and -p rule out.)
  // The address scanned is the one printed at start: its answer sets the cookie, so the cookie's flags are checked
  // with HSTS and the security headers. testssl.sh sends Host without the port, which the station takes as its own
  // name (access.ts). Not spawnSync: the station answering the scan runs in this process.
  await new Promise<void>((resolve, reject) => {
    execFile('testssl', ['--quiet', '--color', '0', '--warnings', 'batch', '--nodns', 'min', '--ip', 'one', '-p', '-s', '-f', '-h',
      '--jsonfile', report, served.startUrl], { timeout: 400_000 }, (error) => (error ? reject(error) : resolve()));
  });
  const findings = JSON.parse(readFileSync(report, 'utf8')) as { id: string; severity: string; finding: string }[];
  const severity = (id: string): string | undefined => findings.find((finding) => finding.id === id)?.severity;
  expect([severity('TLS1_3'), severity('HSTS_time'), severity('cookie_secure'), severity('cookie_httponly')]).toEqual(['OK', 'OK', 'OK', 'OK']);
  expect([severity('X-Frame-Options'), severity('X-Content-Type-Options'), severity('Content-Security-Policy')]).toEqual(['OK', 'OK', 'OK']);
  const found = findings.filter((finding) => !['OK', 'INFO'].includes(finding.severity) && !ACCEPTED.has(finding.id));
  expect(found.map(({ id, severity, finding }) => `${severity} ${id}: ${finding}`)).toEqual([]);
}, 420_000);

