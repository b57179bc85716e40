// The live-state subscription as the Electron shell carries it: the preload's relay and main's
// per-window subscriptions, joined by an in-memory stand-in for Electron's IPC (the only part that
// needs the Electron binary), over a real batch provisioning a simulated fleet.
import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventSubscriptions, type EventSource, type SubscriberContents } from '../../../src/main/shell/event-subscriptions.ts';
import { createEventRelay, type EventTransport } from '../../../src/preload/event-relay.ts';
import { eventIpcChannel, type ApiEvent } from '../../../src/shared/channels.ts';
import { EVENT_SUBSCRIBE, EVENT_UNSUBSCRIBE } from '../../../src/shared/event-ipc.ts';
import type { PipelineSnapshot } from '../../../src/shared/pipeline.ts';
import { defaultScenario } from '../../../src/sim/index.ts';
import { openTestStation, type TestStation } from '../../integration/pipeline/fixture.ts';

/** One window: main sends to its webContents, which hands the message to its page's ipcRenderer. */
class Window {
  static #ids = 0;
  readonly contents: SubscriberContents & { destroy(): void; received: number };
  readonly renderer: EventTransport;

  constructor(subscriptions: EventSubscriptions) {
    const page = new EventEmitter();
    const events = new EventEmitter();
    let destroyed = false;
    const contents = {
      id: ++Window.#ids,
      received: 0,
      isDestroyed: () => destroyed,
      send: (channel: string, payload: unknown) => {
        if (destroyed) throw new Error('sent to a destroyed webContents');
        contents.received += 1;
        page.emit(channel, {}, structuredClone(payload));
      },
      once: (event: 'destroyed', listener: () => void) => events.once(event, listener),
      destroy: () => {
        destroyed = true;
        events.emit('destroyed');
      },
    };
    this.contents = contents;
    this.renderer = {
      on: (channel, listener) => page.on(channel, listener),
      off: (channel, listener) => page.off(channel, listener),
      send: (channel, payload) => {
        if (channel === EVENT_SUBSCRIBE) subscriptions.subscribe(contents, payload);
        if (channel === EVENT_UNSUBSCRIBE) subscriptions.unsubscribe(contents, payload);
      },
    };
  }
}

let test: TestStation;
let events: EventSource;

beforeAll(async () => {
  // A throttled link, so the batch is still flashing while the test looks.
  test = await openTestStation({ scenario: defaultScenario(2), timing: { linkBytesPerSecond: 4_000_000 }, prefix: 'lockstep-shell-events-' });
  events = { subscribe: (_event, listener) => test.started.batch.subscribe(listener) };
}, 60_000);

afterAll(async () => {
  await test?.close();
});

describe('live state over IPC', () => {
  it('sends snapshots only to the window that subscribed, once each after a reload, and stops when its webContents is destroyed', async () => {
    const subscriptions = new EventSubscriptions(events);
    const station = new Window(subscriptions);
    const bystander = new Window(subscriptions);
    const seen: PipelineSnapshot[] = [];
    const subscribe = createEventRelay(station.renderer);
    subscribe('pipeline.snapshot', (payload) => seen.push(payload as PipelineSnapshot));
    expect(subscriptions.count).toBe(1);
    await expect.poll(() => seen.some((snapshot) => snapshot.handsets.some((handset) => handset.phase === 'running')), { timeout: 30_000 }).toBe(true);
    expect(bystander.contents.received).toBe(0);

    // A reloaded page runs the preload again and subscribes anew: the old subscription is replaced.
    const reloaded: PipelineSnapshot[] = [];
    createEventRelay(station.renderer)('pipeline.snapshot', (payload) => reloaded.push(payload as PipelineSnapshot));
    expect(subscriptions.count).toBe(1);
    await expect.poll(() => reloaded.length, { timeout: 10_000 }).toBeGreaterThan(2);
    const versions = reloaded.map((snapshot) => snapshot.version);
    expect(new Set(versions).size).toBe(versions.length);

    station.contents.destroy();
    expect(subscriptions.count).toBe(0);
    const before = station.contents.received;
    const at = reloaded.at(-1)?.version ?? 0;
    await expect.poll(() => test.started.batch.snapshot.version, { timeout: 10_000 }).toBeGreaterThan(at + 2);
    expect(station.contents.received).toBe(before);
    expect(bystander.contents.received).toBe(0);
  }, 60_000);

  it('refuses unknown event names on both sides', () => {
    const subscriptions = new EventSubscriptions(events);
    const window = new Window(subscriptions);
    expect(subscriptions.subscribe(window.contents, 'records.export')).toBe(false);
    expect(subscriptions.subscribe(window.contents, { toString: () => 'pipeline.snapshot' })).toBe(false);
    expect(subscriptions.count).toBe(0);
    expect(() => createEventRelay(window.renderer)('process.env' as ApiEvent, () => undefined)).toThrow(/no such station event/);
  });

  it('shares one IPC subscription between listeners, gives it up with the last one, and hands a late listener the latest payload', () => {
    const sent: [string, unknown][] = [];
    const page = new EventEmitter();
    const subscribe = createEventRelay({
      on: (channel, listener) => page.on(channel, listener),
      off: (channel, listener) => page.off(channel, listener),
      send: (channel, payload) => void sent.push([channel, payload]),
    });
    const first: unknown[] = [];
    const second: unknown[] = [];
    const stopFirst = subscribe('pipeline.snapshot', (payload) => first.push(payload));
    page.emit(eventIpcChannel('pipeline.snapshot'), {}, { version: 1 });
    const stopSecond = subscribe('pipeline.snapshot', (payload) => second.push(payload));
    page.emit(eventIpcChannel('pipeline.snapshot'), {}, { version: 2 });
    expect(first).toEqual([{ version: 1 }, { version: 2 }]);
    expect(second).toEqual([{ version: 1 }, { version: 2 }]);
    stopFirst();
    stopFirst();
    expect(sent).toEqual([[EVENT_SUBSCRIBE, 'pipeline.snapshot']]);
    stopSecond();
    expect(sent).toEqual([
      [EVENT_SUBSCRIBE, 'pipeline.snapshot'],
      [EVENT_UNSUBSCRIBE, 'pipeline.snapshot'],
    ]);
    expect(page.listenerCount(eventIpcChannel('pipeline.snapshot'))).toBe(0);
  });
});
