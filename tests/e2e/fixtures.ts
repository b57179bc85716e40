// The test bridge: the built renderer runs in Chromium, and `window.lockstep` is wired through
// Playwright to a real station core in this process, exactly where the preload would wire it to
// IPC. Calls go through the same dispatcher (schema validation included) as the Electron app.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test as base, type Page } from '@playwright/test';
import { preview, type PreviewServer } from 'vite';
import type { StationApi } from '../../src/shared/api.ts';
import { API_CHANNELS, API_EVENTS } from '../../src/shared/channels.ts';
import { dispatch } from '../../src/main/api/dispatch.ts';
import { openStation } from '../../src/main/station/open-station.ts';
import { openDepot, seedOperators, type Depot, type DepotOptions } from './depot.ts';

const RENDERER_DIR = resolve(import.meta.dirname, '../../out/renderer');

export async function attachStation(page: Page, station: StationApi): Promise<void> {
  await page.exposeBinding('__lockstepDispatch', (_source, channel: unknown, payload: unknown) =>
    dispatch(station, channel, payload),
  );
  // Events travel as DOM events on the page, where the preload would relay IPC messages.
  for (const name of API_EVENTS) {
    station.subscribe(name, (payload) => {
      void page.evaluate(([event, detail]) => window.dispatchEvent(new CustomEvent(`lockstep:${event}`, { detail })), [name, payload] as const).catch(() => undefined);
    });
  }
  await page.addInitScript((channels: readonly string[]) => {
    const target = window as unknown as Record<string, unknown> & {
      __lockstepDispatch: (channel: string, payload: unknown) => Promise<unknown>;
    };
    const subscribe = (event: string, listener: (payload: unknown) => void): (() => void) => {
      const handler = (dom: Event): void => listener((dom as CustomEvent).detail);
      window.addEventListener(`lockstep:${event}`, handler);
      void target.__lockstepDispatch(event, undefined).then((result) => {
        const answer = result as { ok: boolean; value?: unknown };
        if (answer.ok && answer.value !== null && answer.value !== undefined) listener(answer.value);
      });
      return () => window.removeEventListener(`lockstep:${event}`, handler);
    };
    target['lockstep'] = Object.freeze({
      ...Object.fromEntries(channels.map((channel) => [channel, (payload: unknown) => target.__lockstepDispatch(channel, payload)])),
      subscribe,
    });
  }, API_CHANNELS);
}

/** The built renderer served once per worker; a test attaches its own station and opens the page. */
export const uiTest = base.extend<object, { rendererUrl: string }>({
  rendererUrl: [
    async ({}, use) => {
      const server: PreviewServer = await preview({
        configFile: false,
        logLevel: 'silent',
        root: RENDERER_DIR,
        build: { outDir: RENDERER_DIR },
        preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false },
      });
      const url = server.resolvedUrls?.local[0];
      if (!url) throw new Error('vite preview did not report a URL for out/renderer (run `npm run build` first)');
      await use(url);
      await server.close();
    },
    { scope: 'worker' },
  ],
});

export const test = uiTest.extend<{ station: StationApi }>({
  // The station's embedded default: a simulated fleet on the virtual USB bus, state in a temp dir,
  // and the test operators (tests/e2e/depot.ts).
  station: async ({}, use) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lockstep-e2e-'));
    seedOperators(dataDir);
    const opened = await openStation({ dataDir, fleet: 'simulated' });
    await use(opened.station);
    await opened.close();
    rmSync(dataDir, { recursive: true, force: true });
  },
  page: async ({ page, station, rendererUrl }, use) => {
    await attachStation(page, station);
    await page.goto(rendererUrl);
    await use(page);
  },
});

export { expect } from '@playwright/test';

/** A spec's way to open depots: each one is closed after its test, whether the test passed or not. */
export function depotPerTest(): (options: DepotOptions) => Promise<Depot> {
  const opened: Depot[] = [];
  uiTest.afterEach(async () => {
    for (const depot of opened.splice(0)) await depot.close();
  });
  return async (options) => {
    const depot = await openDepot(options);
    opened.push(depot);
    return depot;
  };
}
