// The operator UI in a plain browser over `lockstep serve`'s real HTTP and WebSocket (no test
// bridge): the station runs as the CLI runs it, in a child process; Chromium opens the address it
// prints, signs in, runs a short demo batch through the supervisor gate, sees a second browser keep
// its own session (its idle lock ending it alone) shared by its two tabs (a sign-out in one shows the
// other the sign-in screen at once), and the page reconnect on its own after the station restarts. In English and in Simplified Chinese.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from '@playwright/test';
import { DEMO_OPERATOR, DEMO_SUPERVISOR } from '../../src/main/station/demo-station.ts';
import { expect } from './fixtures.ts';
import { fill, LANGUAGE_MESSAGES, signIn, untranslated } from './ui-flow.ts';

const LOCKSTEP = resolve(import.meta.dirname, '../../bin/lockstep.js');

interface Served {
  readonly url: string;
  stop(): Promise<void>;
}

/** `lockstep serve --demo` on `port` (0: any free one) until stopped; resolves with the address it printed. */
async function serve(dataDir: string, port: number): Promise<Served> {
  const child: ChildProcess = spawn(process.execPath, [LOCKSTEP, 'serve', '--demo', '--data', dataDir, '--listen', `127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const url = await new Promise<string>((done, fail) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', done);
    void exited.then(() => fail(new Error(`lockstep serve stopped: ${errors}`)));
  });
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

test.use({ viewport: { width: 1366, height: 768 } });
test.describe.configure({ timeout: 240_000 });

for (const [language, locale] of [['en', 'en-GB'], ['zh-CN', 'zh-CN']] as const) {
  test.describe(`in ${language}`, () => {
    test.use({ locale });
    test('sign in, a short demo batch through the gate, a second browser, a station restart', async ({ page, browser }) => {
      const m = LANGUAGE_MESSAGES[language];
      const dataDir = mkdtempSync(join(tmpdir(), 'lockstep-serve-e2e-'));
      let served = await serve(dataDir, 0);
      try {
        const problems: string[] = [];
        page.on('pageerror', (error) => problems.push(error.message));

        // The printed address admits this browser and drops the secret from the address bar.
        await page.goto(served.url);
        const origin = new URL(served.url).origin;
        expect(page.url()).toBe(`${origin}/`);
        await expect(page.locator('html')).toHaveAttribute('lang', language);
        await expect(page.getByRole('heading', { name: m.signIn.title })).toBeVisible();
        expect(await page.evaluate(() => document.cookie)).toBe('');
        await signIn(page, m, DEMO_OPERATOR);
        await expect(page.getByTestId('operator')).toContainText('DEMO technician');

        // The demo bundle is offered, verified, and the batch starts; the gate opens for the supervisor.
        await expect(page.getByLabel(m.setup.bundlePath)).toHaveValue(/bundle-/);
        await page.getByRole('button', { name: m.setup.verify }).click();
        await expect(page.getByTestId('bundle-facts')).toContainText(m.setup.verified);
        await page.getByLabel(m.setup.expected).fill('4');
        expect(await untranslated(page, language)).toEqual([]);
        await page.getByRole('button', { name: m.setup.start }).click();
        const gate = page.getByRole('dialog', { name: m.gate.title });
        await gate.getByLabel(m.gate.supervisorId).fill(DEMO_SUPERVISOR.id);
        await gate.getByLabel(m.gate.supervisorPin).fill(DEMO_SUPERVISOR.pin);
        await gate.getByRole('button', { name: m.gate.authorise }).click();
        await expect(gate).toBeHidden();

        // Live events over the socket: the four demo handsets reach done.
        for (let position = 1; position <= 4; position++) {
          const card = page.getByRole('article', { name: fill(m.grid.slotNumber, { number: position }), exact: true });
          await expect(card).toContainText(m.phase.provisioned, { timeout: 120_000 });
        }
        await expect(page.getByTestId('counter-done')).toContainText('4');

        // A second browser with the same address has its own session: signed out, it sees only the sign-in.
        const other = await browser.newContext({ locale });
        const otherPage = await other.newPage();
        await otherPage.clock.install();
        await otherPage.goto(served.url);
        await expect(otherPage.getByRole('heading', { name: m.signIn.title })).toBeVisible();
        await expect(otherPage.getByRole('navigation')).toHaveCount(0);
        await signIn(otherPage, m, DEMO_SUPERVISOR);
        await expect(otherPage.getByTestId('operator')).toContainText('DEMO supervisor');
        // A second tab of that browser shares its session; signing out there shows the first tab the sign-in
        // screen at once, its grid and batch dropped, and signing in again there brings the second tab along.
        const secondTab = await other.newPage();
        await secondTab.goto(origin);
        await expect(secondTab.getByTestId('operator')).toContainText('DEMO supervisor');
        const firstCard = (tab: typeof page) => tab.getByRole('article', { name: fill(m.grid.slotNumber, { number: 1 }), exact: true });
        await expect(firstCard(otherPage)).toContainText(m.phase.provisioned);
        await secondTab.getByRole('button', { name: m.nav.signOut }).click();
        await expect(otherPage.getByRole('status')).toContainText(m.signIn.signedOutElsewhere);
        await expect(otherPage.getByRole('navigation')).toHaveCount(0);
        await expect(firstCard(otherPage)).toHaveCount(0);
        expect(await untranslated(otherPage, language)).toEqual([]);
        await expect(secondTab.getByRole('status')).toHaveCount(0);
        await signIn(otherPage, m, DEMO_SUPERVISOR);
        await expect(secondTab.getByTestId('operator')).toContainText('DEMO supervisor');
        await expect(firstCard(secondTab)).toContainText(m.phase.provisioned);
        // Work in the second tab keeps the first, idle in the background, from locking the shared session
        // (the clock is the context's, both tabs' idle locks count on it)…
        await otherPage.clock.fastForward('03:00');
        await secondTab.getByRole('button', { name: m.nav.history }).click();
        await otherPage.clock.fastForward('02:30');
        await expect(otherPage.getByTestId('operator')).toContainText('DEMO supervisor');
        await expect(secondTab.getByTestId('operator')).toContainText('DEMO supervisor');
        // …until neither tab has been touched for the station's 5 minutes: the idle lock ends this browser's session
        // alone; a reload of the first browser keeps the technician's.
        await otherPage.clock.fastForward('03:00');
        await expect(otherPage.getByRole('status')).toContainText(fill(m.signIn.locked_other, { count: 5 }));
        await expect(secondTab.getByRole('heading', { name: m.signIn.title })).toBeVisible();
        await page.reload();
        await expect(page.getByTestId('operator')).toContainText('DEMO technician');
        await expect(page.getByTestId('counter-done')).toContainText('4');
        // Without the secret, a browser gets nothing.
        const stranger = await browser.newContext({ locale });
        const refused = await (await stranger.newPage()).goto(origin);
        expect(refused?.status()).toBe(401);
        await stranger.close();
        await other.close();

        // The station restarts: the page says it is reconnecting and greys the grid, then starts afresh
        // on the new station (its sessions ended with the old one), still admitted by its cookie.
        const port = Number(new URL(served.url).port);
        await served.stop();
        // (The demo supervisor's id, station data, stays on the grid: the banner is what must be in the page's language.)
        await expect(page.getByRole('alert').filter({ hasText: m.connection.reconnecting })).toContainText(m.connection.stale);
        await expect(page.locator('.station-link.stale')).toHaveCount(1);
        served = await serve(dataDir, port);
        await expect(page.getByRole('heading', { name: m.signIn.title })).toBeVisible({ timeout: 30_000 });
        await expect(page.getByRole('alert').filter({ hasText: m.connection.reconnecting })).toHaveCount(0);
        // The restarted station runs no batch until one is started: the old grid is not shown as current.
        await signIn(page, m, DEMO_OPERATOR);
        await expect(page.getByRole('button', { name: m.setup.verify })).toBeVisible();
        await expect(page.getByTestId('counter-done')).toHaveCount(0);
        expect(problems).toEqual([]);
      } finally {
        await served.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
}
