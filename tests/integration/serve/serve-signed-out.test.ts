// A browser nobody signed in to sees the sign-in screen and nothing else: over `lockstep serve`'s real
// WebSocket, while another browser runs a batch, it gets no live event and every channel but the
// sign-in screen's refuses it with NOT_SIGNED_IN; signed in, it gets the latest snapshot at once;
// signed out again, nothing more. Each check that nothing arrived is made after a call's answer on the
// same socket, which the station sends after anything it published before.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateDemoBundle } from '../../../src/main/bundle/demo.ts';
import { openStationRecords } from '../../../src/main/records/station-records.ts';
import { loadRendererFiles } from '../../../src/main/serve/renderer-files.ts';
import { serveStation, type ServedStation } from '../../../src/main/serve/server.ts';
import { ownerShutdownTarget } from '../../../src/main/shell/shutdown.ts';
import { openStation, type OpenedStation } from '../../../src/main/station/open-station.ts';
import { apiRequestSchemas } from '../../../src/shared/api.ts';
import { API_CHANNELS, API_EVENTS, isSignedOutChannel } from '../../../src/shared/channels.ts';
import type { PipelineSnapshot } from '../../../src/shared/pipeline.ts';
import { addDepotOperators, SUPERVISOR, TECHNICIAN } from '../../depot-operators.ts';
import { browserSide, type BrowserSide, type Client } from './browser.ts';

const TOKEN = 'signed-out-secret-0123456789abcdef';

let dir: string;
let bundle: string;
let opened: OpenedStation;
let served: ServedStation;
let browser: BrowserSide;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lockstep-serve-signed-out-'));
  bundle = join(dir, 'bundle');
  await generateDemoBundle({ out: bundle });
  const rendererDir = join(dir, 'renderer');
  mkdirSync(rendererDir);
  writeFileSync(join(rendererDir, 'index.html'), `<meta http-equiv="Content-Security-Policy" content="default-src 'none'" />`);
  const records = openStationRecords(dir);
  addDepotOperators(records);
  records.close();
  opened = await openStation({ dataDir: dir, fleet: 'simulated', demo: true });
  served = await serveStation({
    station: opened.station,
    renderer: await loadRendererFiles(rendererDir),
    host: '127.0.0.1',
    port: 0,
    tls: null,
    token: TOKEN,
    cookieKey: Buffer.alloc(32, 3),
  });
  browser = browserSide(served, TOKEN);
}, 60_000);

afterAll(async () => {
  await served?.close();
  await opened?.close();
  rmSync(dir, { recursive: true, force: true });
});

function subscribeAll(client: Client): void {
  for (const event of API_EVENTS) client.socket.send(JSON.stringify({ type: 'subscribe', event }));
}

/** Events other than the browser's own session's, which it hears signed out too. */
const liveEvents = (client: Client, from = 0): unknown[] =>
  client.messages.slice(from).filter((message) => message.type === 'event' && message.event !== 'session.current');

it('sends a signed-out browser nothing live, refuses it all but the sign-in calls, and follows its sign-in and sign-out', async () => {
  const watcher = await browser.connect(await browser.admit());
  subscribeAll(watcher);
  const operator = await browser.connect(await browser.admit());
  expect(await operator.call('session.signIn', TECHNICIAN)).toMatchObject({ ok: true });
  subscribeAll(operator);
  expect(await operator.call('batch.start', { bundlePath: bundle, expectedCount: 4, parallel: 4 })).toMatchObject({ ok: true });
  // The batch runs: the simulated fleet is identified, flashed and verified, and the operator's browser hears it.
  await expect
    .poll(() => (operator.events('pipeline.snapshot').at(-1) as PipelineSnapshot | undefined)?.handsets.length ?? 0, { timeout: 30_000, interval: 100 })
    .toBeGreaterThan(0);

  expect(await watcher.call('session.current')).toEqual({ ok: true, value: null });
  expect(liveEvents(watcher)).toEqual([]);
  // Its own session it hears at once (nobody), and not the other browser's sign-in.
  expect(watcher.events('session.current')).toEqual([null]);
  const info = await watcher.call('station.info');
  expect(info).toMatchObject({ ok: true, value: { name: 'lockstep', demoBundlePath: null } });
  // Every other channel a request without a payload can reach is refused before it runs, with the sign-in code.
  const bare = API_CHANNELS.filter((channel) => !isSignedOutChannel(channel) && apiRequestSchemas[channel].safeParse(undefined).success);
  expect(bare).toEqual(expect.arrayContaining(['pipeline.snapshot', 'batch.current', 'bundle.progress', 'devices.scan', 'batch.pause']));
  for (const channel of bare) expect([channel, await watcher.call(channel)]).toMatchObject([channel, { ok: false, error: { failure: 'NOT_SIGNED_IN' } }]);
  expect(await watcher.call('handset.abort', { serial: 'SIM0001' })).toMatchObject({ ok: false, error: { failure: 'NOT_SIGNED_IN' } });
  // The sign-in screen's header still shows the depot link (this station is in no depot: none).
  expect(await watcher.call('depot.state')).toEqual({ ok: true, value: null });
  expect(await operator.call('batch.current')).toMatchObject({ ok: true, value: { startedBy: TECHNICIAN.id } });
  expect(liveEvents(watcher)).toEqual([]);

  // Signed in, the watcher hears the latest snapshot (and the bundle's progress) at once, before the answer.
  expect(await watcher.call('session.signIn', SUPERVISOR)).toMatchObject({ ok: true, value: { operator: { id: SUPERVISOR.id } } });
  // No other call was made on it since: the last answer is the sign-in's (later snapshots may have followed it).
  const answer = watcher.messages.findLastIndex((message) => message.type === 'result');
  const atOnce = watcher.messages.slice(0, answer).flatMap((message) => (message.type === 'event' ? [message.event] : []));
  expect(atOnce.filter((event) => event !== 'session.current').toSorted()).toEqual(['bundle.progress', 'pipeline.snapshot']);
  expect(watcher.events('session.current')).toEqual([null, expect.objectContaining({ operator: expect.objectContaining({ id: SUPERVISOR.id }) })]);
  const batchId = (operator.events('pipeline.snapshot').at(-1) as PipelineSnapshot).batch?.id;
  expect((watcher.events('pipeline.snapshot')[0] as PipelineSnapshot).batch?.id).toBe(batchId);

  // Signed out, it hears nothing more, though the batch goes on publishing (the pause publishes at once).
  expect(await watcher.call('session.signOut')).toEqual({ ok: true, value: null });
  const seen = watcher.messages.length;
  expect(await operator.call('batch.pause')).toMatchObject({ ok: true, value: { paused: true } });
  expect((operator.events('pipeline.snapshot').at(-1) as PipelineSnapshot).paused).toBe(true);
  expect(await watcher.call('session.current')).toEqual({ ok: true, value: null });
  expect(liveEvents(watcher, seen)).toEqual([]);
  expect(watcher.events('session.current').at(-1)).toBeNull();
  expect(await watcher.call('pipeline.snapshot')).toMatchObject({ ok: false, error: { failure: 'NOT_SIGNED_IN' } });
  await watcher.close();
  await operator.close();
});

it('tells every socket of a browser at once when one of its tabs signs out, and no other browser', async () => {
  const cookie = await browser.admit();
  const [tab, otherTab] = [await browser.connect(cookie), await browser.connect(cookie)];
  const stranger = await browser.connect(await browser.admit());
  expect(await stranger.call('session.signIn', SUPERVISOR)).toMatchObject({ ok: true });
  for (const client of [tab, otherTab, stranger]) {
    client.socket.send(JSON.stringify({ type: 'subscribe', event: 'session.current' }));
    // Answered after the subscription's first event: each socket hears its session from here on.
    expect(await client.call('station.info')).toMatchObject({ ok: true });
  }
  expect(await tab.call('session.signIn', TECHNICIAN)).toMatchObject({ ok: true });
  // The other tab hears the sign-in before the answer to any call it makes after it.
  expect(await otherTab.call('session.current')).toMatchObject({ ok: true, value: { operator: { id: TECHNICIAN.id } } });
  expect(otherTab.events('session.current')).toEqual([null, expect.objectContaining({ operator: expect.objectContaining({ id: TECHNICIAN.id }) })]);
  expect(await otherTab.call('session.signOut')).toEqual({ ok: true, value: null });
  expect(await tab.call('station.info')).toMatchObject({ ok: true });
  expect(tab.events('session.current').at(-1)).toBeNull();
  expect(await tab.call('batch.current')).toMatchObject({ ok: false, error: { failure: 'NOT_SIGNED_IN' } });
  // Another browser hears nothing of it and stays signed in.
  expect(await stranger.call('session.current')).toMatchObject({ ok: true, value: { operator: { id: SUPERVISOR.id } } });
  expect(stranger.events('session.current')).toEqual([expect.objectContaining({ operator: expect.objectContaining({ id: SUPERVISOR.id }) })]);
  for (const client of [tab, otherTab, stranger]) await client.close();
});

it("pauses the batch for the shutdown with nobody signed in at the station's own session", async () => {
  const operator = await browser.connect(await browser.admit());
  expect(await operator.call('session.signIn', TECHNICIAN)).toMatchObject({ ok: true });
  expect(await operator.call('batch.resume')).toMatchObject({ ok: true, value: { paused: false } });
  // The station's default session (the window's) is signed out under `lockstep serve`: a pause through it is refused…
  await expect(opened.station['batch.pause'](undefined)).rejects.toMatchObject({ code: 'NOT_SIGNED_IN' });
  expect(opened.station.owner.snapshot()?.paused).toBe(false);
  // …so the shutdown pauses through the station's own view, as `lockstep serve` and the window do.
  const target = ownerShutdownTarget(opened.station.owner, async () => undefined);
  await target.pause();
  expect(opened.station.owner.snapshot()?.paused).toBe(true);
  expect(await operator.call('batch.current')).toMatchObject({ ok: true });
  await operator.close();
});
