// The operator's whole story as the acceptance criteria of issue 11 tell it, driven through the UI
// by role and accessible name in one language, against the real core and a simulated fleet.
import { copyFileSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Locator, Page, TestInfo } from '@playwright/test';
import { en } from '../../src/renderer/src/i18n/en.ts';
import { zhCN } from '../../src/renderer/src/i18n/zh-CN.ts';
import type { PipelineSnapshot } from '../../src/shared/pipeline.ts';
import { ADMIN, SUPERVISOR, TECHNICIAN, type Depot } from './depot.ts';
import { attachStation, expect } from './fixtures.ts';

export type Messages = typeof en;
export const LANGUAGE_MESSAGES = { en, 'zh-CN': zhCN as unknown as Messages } as const;
/** The UI's languages, each with the system locale a spec runs it under: English as a British station has it. */
export const LANGUAGE_LOCALES = [
  ['en', 'en-GB'],
  ['zh-CN', 'zh-CN'],
] as const;

/** The technician's batch of `count` handsets (`parallel` at once), authorised by the supervisor, and the page opened on it. */
export async function openAuthorisedBatch(page: Page, depot: Depot, rendererUrl: string, count: number, parallel?: number): Promise<void> {
  const { station } = depot;
  await station['session.signIn'](TECHNICIAN);
  await station['batch.start']({ bundlePath: depot.bundlePath, expectedCount: count, ...(parallel === undefined ? {} : { parallel }) });
  await station['batch.authorise']({ supervisor: SUPERVISOR, deviceCap: count });
  await attachStation(page, station);
  await page.goto(rendererUrl);
}

/** i18next's {{name}} interpolation, for building the accessible names the UI shows. */
export function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => String(values[name] ?? ''));
}

/** The simulated fleet of the story: four healthy handsets, and a fifth whose first flash is refused. */
export const FLOW_DEVICES = [
  { serial: 'UI0001', usbPort: '1-1.1' },
  { serial: 'UI0002', usbPort: '1-1.2' },
  { serial: 'UI0003', usbPort: '1-1.3' },
  { serial: 'UI0004', usbPort: '1-1.4' },
  { serial: 'UI0005', usbPort: '1-1.5', faults: [{ kind: 'fail', command: 'flash:', message: 'eMMC write error 0x15', times: 1 }] },
];

/**
 * The README's and docs' screenshots (docs/screenshots/), copied from the shots of the acceptance flow so
 * they show the UI as it is: `LOCKSTEP_DOCS_SCREENSHOTS=1 npx playwright test tests/e2e/operator-flow.spec.ts`.
 */
const DOCS_SCREENSHOTS: Readonly<Record<string, string>> = {
  'en-light-02-batch-setup': 'batch-setup.png',
  'en-light-03-supervisor-gate': 'supervisor-gate.png',
  'zh-CN-light-04-station-waiting-for-supervisor': 'station-zh-CN.png',
  'en-dark-06-station-done': 'station-dark.png',
  'en-light-07-handset-detail': 'handset-detail.png',
  'en-light-08-station-failure': 'station.png',
  'en-light-09-history': 'history.png',
  'en-light-11-settings-admin': 'settings.png',
};
const DOCS_DIR = resolve(import.meta.dirname, '../../docs/screenshots');

/** WCAG 2.1 level A and AA, as axe-core tags its rules. */
const WCAG_21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
/** The rules whose answer depends on the theme: the rest are scanned once, in the light theme. */
const COLOUR_RULES = ['color-contrast', 'link-in-text-block'];

/** What axe-core finds against WCAG 2.1 AA on the page as it is (only its colour rules if `colours`), one line per rule and element. */
export async function accessibilityViolations(page: Page, colours = false): Promise<string[]> {
  const scan = new AxeBuilder({ page }).options({ resultTypes: ['violations'] });
  const { violations } = await (colours ? scan.withRules(COLOUR_RULES) : scan.withTags(WCAG_21_AA)).analyze();
  return violations.flatMap((violation) => violation.nodes.map((node) => `${violation.id}: ${node.target.join(' ')}: ${node.failureSummary ?? violation.help}`));
}

/**
 * Each screen in both themes, as test artifacts (`<language>-<theme>-<name>.png`). With `scan`, axe-core checks it
 * on the way against WCAG 2.1 AA (the theme's colours in the dark theme): no violation is allowed.
 */
export async function shoot(page: Page, testInfo: TestInfo, language: string, name: string, { scan = false } = {}): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    const shot = `${language}-${colorScheme}-${name}`;
    const path = testInfo.outputPath(`${shot}.png`);
    await page.screenshot({ path, fullPage: true });
    await testInfo.attach(shot, { path, contentType: 'image/png' });
    const docs = DOCS_SCREENSHOTS[shot];
    if (docs && process.env['LOCKSTEP_DOCS_SCREENSHOTS'] === '1') copyFileSync(path, join(DOCS_DIR, docs));
    if (scan) expect.soft(await accessibilityViolations(page, colorScheme === 'dark'), `WCAG 2.1 AA on ${shot}`).toEqual([]);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/** The built-in device profiles' names: files a depot writes, shown as they are, like product names. */
const PROFILE_NAMES = ['kestrel-k2', 'lockstep-ref'].map(
  (id) => (JSON.parse(readFileSync(resolve(import.meta.dirname, `../../resources/profiles/${id}.json`), 'utf8')) as { name: string }).name,
);

/** Commands an operator types as they are, which the UI quotes in every language (the Settings depot hint). */
const COMMANDS = ['lockstep depot add-station'];

/**
 * English on a page that speaks another language: the English of a UI string whose translation differs (split
 * at its placeholders, whole words), and any run of three or more English words, such as a station's sentence
 * nobody worded (issue 20 #5). The page is read as a person sees it (closed disclosures and hidden text left
 * out); what another party said (marked data-station-words: a printer's answer) and the `data` a test put there
 * (a serial, a handset's refusal, a name) are not the UI's to translate.
 */
export async function untranslated(page: Page, language: keyof typeof LANGUAGE_MESSAGES, data: readonly string[] = []): Promise<string[]> {
  data = [...data, ...PROFILE_NAMES, ...COMMANDS];
  if (language === 'en') return [];
  const translated = LANGUAGE_MESSAGES[language];
  const fragments = new Set<string>();
  const walk = (english: unknown, other: unknown): void => {
    if (typeof english === 'string') {
      if (english === other) return;
      for (const piece of english.split(/\{\{\w+\}\}/)) {
        const text = piece.trim();
        if ((text.match(/[A-Za-z]/g) ?? []).length >= 4 && !String(other).includes(text)) fragments.add(text);
      }
      return;
    }
    for (const [key, value] of Object.entries(english as object)) walk(value, (other as Record<string, unknown>)[key]);
  };
  walk(en, translated);
  let text = await page.evaluate(() => {
    let shown = document.body.innerText;
    for (const element of document.querySelectorAll<HTMLElement>('[data-station-words]')) {
      const said = element.innerText.trim();
      if (said !== '') shown = shown.replaceAll(said, ' ');
    }
    return shown;
  });
  for (const value of data) text = text.replaceAll(value, ' ');
  // Whole words only: the English "Lock" is not untranslated inside the product name Lockstep.
  const uiStrings = [...fragments].filter((fragment) => new RegExp(`(^|[^A-Za-z])${escapeRegExp(fragment)}([^A-Za-z]|$)`).test(text));
  const sentences = text.match(/[A-Za-z][A-Za-z'\u2019-]*(?:[ ,;:()]+[A-Za-z][A-Za-z'\u2019-]*){2,}/g) ?? [];
  return [...new Set([...uiStrings, ...sentences])];
}

/** `text` as a regular expression that matches it literally. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A modal keeps the keyboard: focus starts on `first`, Tab from the last control comes back to the first and
 * Shift+Tab from the first goes to the last, never to the page behind it.
 */
export async function expectFocusTrapped(page: Page, dialog: Locator, first: Locator): Promise<void> {
  await expect(first).toBeFocused();
  const controls = await dialog.evaluate(
    (root) => [...root.querySelectorAll<HTMLElement>('a[href], button, input, select, textarea, [tabindex]')].filter((element) => element.tabIndex >= 0 && !(element as HTMLButtonElement).disabled).length,
  );
  expect(controls).toBeGreaterThan(1);
  const focusInside = (): Promise<boolean> => dialog.evaluate((root) => root.contains(document.activeElement) && document.activeElement !== root);
  for (let press = 0; press < controls; press++) {
    await page.keyboard.press('Tab');
    expect(await focusInside()).toBe(true);
  }
  await expect(first).toBeFocused();
  await page.keyboard.press('Shift+Tab');
  expect(await focusInside()).toBe(true);
  await expect(first).not.toBeFocused();
  await page.keyboard.press('Tab');
  await expect(first).toBeFocused();
}

export async function signIn(page: Page, m: Messages, who: { id: string; pin: string }): Promise<void> {
  await page.getByLabel(m.signIn.operatorId, { exact: true }).fill(who.id);
  await page.getByLabel(m.signIn.pin, { exact: true }).fill(who.pin);
  await page.getByRole('button', { name: m.signIn.submit, exact: true }).click();
}

/** Opens the renderer on a station and signs `who` in; returns the page's uncaught errors, collected from the start. */
export async function openSignedIn(page: Page, station: Depot['station'], rendererUrl: string, m: Messages, who: { id: string; pin: string }): Promise<string[]> {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  await attachStation(page, station);
  await page.goto(rendererUrl);
  await signIn(page, m, who);
  return problems;
}

/** Sets the station's label printer on the Settings screen (open) to a `file:` address, PNG, the 2x1-203 template, and waits for it to be saved. */
export async function setFilePrinter(page: Page, m: Messages, address: string): Promise<void> {
  const printerForm = page.getByRole('form', { name: m.settings.setPrinter });
  await printerForm.getByLabel(m.settings.printerAddress).fill(address);
  await printerForm.getByLabel(m.settings.printerFormat).selectOption('png');
  await printerForm.getByLabel(m.settings.printerTemplate).selectOption('2x1-203');
  await printerForm.getByRole('button', { name: m.settings.savePrinter }).click();
  await expect(printerForm.getByRole('status')).toHaveText(m.settings.printerSaved);
}

async function dispatchInPage(page: Page, channel: string, payload: unknown): Promise<unknown> {
  return page.evaluate(
    ([name, body]) => (window as unknown as { __lockstepDispatch: (channel: string, payload: unknown) => Promise<unknown> }).__lockstepDispatch(name, body),
    [channel, payload] as const,
  );
}

function card(page: Page, m: Messages, position: number) {
  return page.getByRole('article', { name: fill(m.grid.slotNumber, { number: position }), exact: true });
}

export async function runOperatorFlow(page: Page, depot: Depot, rendererUrl: string, language: keyof typeof LANGUAGE_MESSAGES, testInfo: TestInfo): Promise<void> {
  const m = LANGUAGE_MESSAGES[language];
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  await attachStation(page, depot.station);
  await page.goto(rendererUrl);
  await expect(page.locator('html')).toHaveAttribute('lang', language);

  // Sign in: the operator's name and role stay in view.
  await expect(page.getByRole('heading', { name: m.signIn.title })).toBeVisible();
  await shoot(page, testInfo, language, '01-sign-in', { scan: true });
  await signIn(page, m, TECHNICIAN);
  await expect(page.getByTestId('operator')).toContainText(TECHNICIAN.name);
  await expect(page.getByTestId('operator')).toContainText(m.roles.technician);

  // Batch setup: a demo station offers its demo bundle; verified, its policy in words. No native
  // dialog in a browser: the Choose… buttons are the Electron window's alone.
  await expect(page.getByLabel(m.setup.bundlePath)).toHaveValue(depot.bundlePath);
  await expect(page.getByRole('button', { name: m.shell.chooseBundleDir })).toHaveCount(0);
  await page.getByRole('button', { name: m.setup.verify }).click();
  const facts = page.getByTestId('bundle-facts');
  await expect(facts).toContainText(m.setup.verified);
  await expect(facts).toContainText('CAMERA_DISABLE');
  await expect(facts).toContainText('GPS_DISABLE');
  await expect(facts).toContainText(m.policy.lock);
  // The batch's label before it starts (sample values), and the printer's state in words.
  await expect(page.getByTestId('label-preview').getByRole('img', { name: m.labels.previewAlt })).toBeVisible();
  await expect(page.getByText(m.labels.none)).toBeVisible();
  await page.getByLabel(m.setup.expected).fill('5');
  await shoot(page, testInfo, language, '02-batch-setup', { scan: true });
  expect(await untranslated(page, language)).toEqual([]);
  await page.getByRole('button', { name: m.setup.start }).click();

  // The gate opens at once and states the consequence; the technician closes it and plugs handsets in.
  const gate = page.getByRole('dialog', { name: m.gate.title });
  await expect(gate).toBeVisible();
  const consequence = gate.getByTestId('gate-consequence');
  await expect(consequence).toContainText('CAMERA_DISABLE');
  await expect(consequence).toContainText('GPS_DISABLE');
  await expect(consequence).toContainText('5');
  await shoot(page, testInfo, language, '03-supervisor-gate', { scan: true });
  // The gate keeps the keyboard, starting on the supervisor's id; Escape closes it.
  await expectFocusTrapped(page, gate, gate.getByLabel(m.gate.supervisorId));
  await page.keyboard.press('Escape');
  await expect(gate).toBeHidden();

  for (const serial of ['UI0001', 'UI0002', 'UI0003', 'UI0004']) depot.handset(serial).plugIn();
  for (const [index, serial] of ['UI0001', 'UI0002', 'UI0003', 'UI0004'].entries()) {
    await expect(card(page, m, index + 1)).toContainText(serial);
    await expect(card(page, m, index + 1)).toContainText(m.phase.waitingForSupervisor, { timeout: 90_000 });
    await expect(card(page, m, index + 1)).toContainText(m.prompt.gate);
  }
  await shoot(page, testInfo, language, '04-station-waiting-for-supervisor');

  // Flashed and verified before the supervisor came; fuse and lock wait for the gate. Pause is the
  // technician's and opens nothing: paused, the handsets still wait for the supervisor. A technician cannot authorise.
  const waiting = (await depot.station['pipeline.snapshot'](undefined)) as PipelineSnapshot;
  expect(waiting.handsets.map((handset) => [handset.phase, handset.steps.verify, handset.steps.fuse, handset.steps.lock])).toEqual(
    Array(4).fill(['waiting-for-authorisation', 'passed', 'waiting', 'waiting']),
  );
  await page.getByRole('button', { name: m.grid.pause, exact: true }).click();
  await expect(page.getByRole('button', { name: m.grid.resume, exact: true })).toBeVisible();
  for (let position = 1; position <= 4; position++) await expect(card(page, m, position)).toContainText(m.phase.waitingForSupervisor);
  // Closed, the gate gives focus back to the button that opened it.
  const openGate = page.getByRole('button', { name: m.gate.waiting });
  await openGate.click();
  await expect(gate.getByLabel(m.gate.supervisorId)).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(gate).toBeHidden();
  await expect(openGate).toBeFocused();
  await page.keyboard.press('Enter');
  await gate.getByLabel(m.gate.supervisorId).fill(TECHNICIAN.id);
  await gate.getByLabel(m.gate.supervisorPin).fill(TECHNICIAN.pin);
  await gate.getByRole('button', { name: m.gate.authorise }).click();
  // The refusal names the operator, their role and the roles it needs, each in the operator's language.
  const needed = new Intl.ListFormat(language, { style: 'long', type: 'disjunction' }).format([m.roles.supervisor, m.roles.admin]);
  await expect(gate.getByRole('alert')).toContainText(fill(m.errors.ROLE_NOT_ALLOWED, { operator: TECHNICIAN.id, role: m.roles.technician, needed }));

  // The supervisor authorises while the batch is paused.
  await gate.getByLabel(m.gate.supervisorId).fill(SUPERVISOR.id);
  await gate.getByLabel(m.gate.supervisorPin).fill(SUPERVISOR.pin);
  await gate.getByRole('button', { name: m.gate.authorise }).click();
  await expect(gate).toBeHidden();
  await expect(page.getByRole('region', { name: m.grid.batch })).toContainText(SUPERVISOR.id);

  // Authorising does not resume a paused batch: the pipeline holds each handset before its fuse step and says so.
  for (let position = 1; position <= 4; position++) {
    await expect(card(page, m, position)).toContainText(m.phase.paused);
    await expect(card(page, m, position)).toContainText(m.prompt.paused);
  }
  const held = (await depot.station['pipeline.snapshot'](undefined)) as PipelineSnapshot;
  expect(held.handsets.map((handset) => [handset.phase, handset.steps.fuse])).toEqual(Array(4).fill(['paused', 'waiting']));
  await shoot(page, testInfo, language, '05-station-paused');
  expect(await untranslated(page, language)).toEqual([]);
  await page.getByRole('button', { name: m.grid.resume, exact: true }).click();

  // All four reach done.
  for (let position = 1; position <= 4; position++) await expect(card(page, m, position)).toContainText(m.phase.provisioned, { timeout: 60_000 });
  await expect(page.getByTestId('counter-done')).toContainText('4');
  await shoot(page, testInfo, language, '06-station-done');
  expect(await untranslated(page, language)).toEqual([]);

  // Handset detail: step log, identity, fuse words, checks, record hash.
  const openDetail = page.getByRole('button', { name: fill(m.grid.detailsLabel, { slot: fill(m.grid.slotNumber, { number: 1 }) }) });
  await openDetail.click();
  const detail = page.getByRole('dialog', { name: fill(m.detail.title, { serial: 'UI0001' }) });
  await expect(detail.getByTestId('record-hash')).toHaveText(/^[0-9a-f]{64}$/);
  await expect(detail.getByRole('table', { name: m.detail.stepLog })).toContainText(m.steps.fuse);
  await expect(detail).toContainText('CAMERA_DISABLE');
  // The handset's own label, drawn from its record as the station printer would print it.
  const label = detail.getByTestId('label-preview').getByRole('img', { name: m.labels.previewAlt });
  await expect(label).toBeVisible();
  expect(await label.evaluate((image: HTMLImageElement) => image.naturalWidth)).toBeGreaterThan(100);
  await shoot(page, testInfo, language, '07-handset-detail', { scan: true });
  await detail.getByRole('button', { name: m.common.close }).click();
  await expect(openDetail).toBeFocused();

  // A fifth handset with an injected fault shows its reason; Retry completes it after the fault clears.
  depot.handset('UI0005').plugIn();
  const fifth = card(page, m, 5);
  await expect(fifth).toContainText(fill(m.phase.failed, { step: m.steps.flash }), { timeout: 60_000 });
  await expect(fifth).toContainText(m.failure.DEVICE_REFUSED.what);
  await expect(fifth).toContainText(m.failure.DEVICE_REFUSED.action);
  await shoot(page, testInfo, language, '08-station-failure', { scan: true });
  await fifth.getByRole('button', { name: fill(m.grid.retryLabel, { slot: fill(m.grid.slotNumber, { number: 5 }) }) }).click();
  await expect(fifth).toContainText(m.phase.provisioned, { timeout: 60_000 });
  await expect(page.getByTestId('counter-done')).toContainText('5');

  // History: five handsets provisioned (plus the failed first attempt); a scanner types and presses Enter.
  await page.getByRole('navigation').getByRole('button', { name: m.nav.history }).click();
  const table = page.getByRole('table', { name: m.history.table });
  await expect(table.locator('tbody tr')).toHaveCount(6);
  await page.getByLabel(m.history.status).selectOption('provisioned');
  await expect(table.locator('tbody tr')).toHaveCount(5);
  for (const serial of ['UI0001', 'UI0002', 'UI0003', 'UI0004', 'UI0005']) await expect(table).toContainText(serial);
  const search = page.getByRole('searchbox', { name: m.history.search });
  await search.click();
  await page.keyboard.type('UI0003');
  await page.keyboard.press('Enter');
  await expect(table.locator('tbody tr')).toHaveCount(1);
  await expect(table).toContainText('UI0003');
  // The next scan replaces the last one (no mouse between them).
  await page.keyboard.type('UI0004');
  await page.keyboard.press('Enter');
  await expect(search).toHaveValue('UI0004');
  await expect(table.locator('tbody tr')).toHaveCount(1);
  await expect(table).toContainText('UI0004');
  await search.fill('');
  await search.press('Enter');
  await expect(table.locator('tbody tr')).toHaveCount(5);

  // CSV export of the provisioned records, saved where the path says.
  const csv = join(depot.dir, `records-${language}.csv`);
  await page.getByLabel(m.history.format).selectOption('csv');
  await page.getByLabel(m.history.exportPath).fill(csv);
  await page.getByRole('button', { name: m.history.save }).click();
  await expect(page.getByRole('status').filter({ hasText: csv })).toBeVisible();
  const exported = readFileSync(csv, 'utf8');
  for (const serial of ['UI0001', 'UI0002', 'UI0003', 'UI0004', 'UI0005']) expect(exported).toContain(serial);
  expect(exported.trim().split('\n').filter((line) => /UI000\d/.test(line))).toHaveLength(5);
  await shoot(page, testInfo, language, '09-history', { scan: true });

  // Settings: a technician sees no operators, and main refuses the call whatever the UI shows.
  await page.getByRole('navigation').getByRole('button', { name: m.nav.settings }).click();
  await expect(page.getByRole('heading', { name: m.settings.trust })).toBeVisible();
  await expect(page.getByRole('heading', { name: m.settings.operators })).toHaveCount(0);
  expect(await dispatchInPage(page, 'operators.list', undefined)).toMatchObject({ ok: false, error: { failure: 'ROLE_NOT_ALLOWED' } });
  await shoot(page, testInfo, language, '10-settings-technician');
  expect(await untranslated(page, language)).toEqual([]);

  // An admin sees the operators.
  await page.getByRole('button', { name: m.nav.signOut }).click();
  await signIn(page, m, ADMIN);
  await page.getByRole('navigation').getByRole('button', { name: m.nav.settings }).click();
  const operators = page.getByRole('table', { name: m.settings.operators });
  await expect(operators.locator('tbody tr')).toHaveCount(3);
  await expect(operators).toContainText(SUPERVISOR.name);
  await shoot(page, testInfo, language, '11-settings-admin', { scan: true });
  expect(problems).toEqual([]);
}
