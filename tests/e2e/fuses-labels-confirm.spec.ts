// Issue 20 #8, #11 and #15 as the operator meets them, in English and Chinese, on a station with no
// label printer: fuses are said in words with their code beside (setup, gate, detail); a provisioned
// handset's card says "Label not printed — no printer" as History lists it, no Reprint is offered,
// an admin is offered Settings and a technician told who sets a printer; Abort and New shift ask first.
import type { PipelineSnapshot } from '../../src/shared/pipeline.ts';
import { SUPERVISOR, TECHNICIAN, ADMIN } from './depot.ts';
import { depotPerTest, expect, uiTest as test } from './fixtures.ts';
import { expectFocusTrapped, fill, LANGUAGE_LOCALES, LANGUAGE_MESSAGES, type Messages, openSignedIn, shoot, signIn, untranslated } from './ui-flow.ts';

const TIMING = { linkBytesPerSecond: 40_000_000, flashBytesPerSecond: 80_000_000, rebootMs: 1_000 };
const DEVICES = [
  { serial: 'WORDS001', usbPort: '1-1.1' },
  { serial: 'WORDS002', usbPort: '1-1.2' },
];

test.use({ viewport: { width: 1366, height: 768 } });
test.describe.configure({ timeout: 180_000 });

const openDepot = depotPerTest();

/** A fuse as the UI names it: its code, and what it does in words. */
const named = (m: Messages, code: keyof Messages['fuseWords']): string => fill(m.fuseNamed, { code, words: m.fuseWords[code] });

for (const [language, locale] of LANGUAGE_LOCALES) {
  test.describe(`in ${language}`, () => {
    test.use({ locale });

    test('fuses in words, a label without a printer said once and alike everywhere, Abort and New shift confirmed', async ({ page, rendererUrl }, testInfo) => {
      const m = LANGUAGE_MESSAGES[language];
      const depot = await openDepot({ devices: DEVICES, timing: TIMING });
      const problems = await openSignedIn(page, depot.station, rendererUrl, m, ADMIN);
      const nav = page.getByRole('navigation');
      const card = (position: number) => page.getByRole('article', { name: fill(m.grid.slotNumber, { number: position }), exact: true });
      // English on the page that is the UI's, not the admin's display name ("Depot Admin").
      const english = async () => (await untranslated(page, language)).filter((text) => !ADMIN.name.includes(text));
      const snapshotOf = async (serial: string) => {
        const snapshot = (await depot.station['pipeline.snapshot'](undefined)) as PipelineSnapshot;
        return snapshot.handsets.find((handset) => handset.serial === serial);
      };

      // #8: batch setup says what each fuse does, the code beside it.
      await page.getByRole('button', { name: m.setup.verify }).click();
      const facts = page.getByTestId('bundle-facts');
      await expect(facts).toContainText(m.setup.verified);
      await expect(facts).toContainText(named(m, 'CAMERA_DISABLE'));
      await expect(facts).toContainText(named(m, 'GPS_DISABLE'));
      expect(await english()).toEqual([]);
      await page.getByLabel(m.setup.expected).fill('2');
      await page.getByRole('button', { name: m.setup.start }).click();

      // #8: so does the gate. The supervisor authorises one handset only, so the second waits (an abortable run).
      const gate = page.getByRole('dialog', { name: m.gate.title });
      const consequence = gate.getByTestId('gate-consequence');
      await expect(consequence).toContainText(named(m, 'CAMERA_DISABLE'));
      await expect(consequence).toContainText(named(m, 'GPS_DISABLE'));
      await gate.getByLabel(m.gate.cap).fill('1');
      await gate.getByLabel(m.gate.supervisorId).fill(SUPERVISOR.id);
      await gate.getByLabel(m.gate.supervisorPin).fill(SUPERVISOR.pin);
      await gate.getByRole('button', { name: m.gate.authorise }).click();
      await expect(gate).toBeHidden();

      // #11: provisioned without a printer, the card shows the label's own state; the snapshot holds it as data.
      depot.handset('WORDS001').plugIn();
      await expect(card(1)).toContainText(m.phase.provisioned, { timeout: 90_000 });
      await expect(card(1)).toContainText(m.noPrinter.label);
      const labelStep = fill(m.grid.stepState, { step: m.steps.label, state: m.stepState.skipped });
      await expect(card(1).getByRole('listitem', { name: labelStep })).toBeVisible();
      expect(await snapshotOf('WORDS001')).toMatchObject({ steps: { label: 'skipped' }, unprintedLabel: 'no-printer' });
      // What an admin can do about it, once, on the batch bar.
      const batchBar = page.getByRole('region', { name: m.grid.batch });
      await expect(batchBar.getByRole('button', { name: m.noPrinter.setPrinter })).toBeVisible();

      // #8 and #11 in the detail view: the fuses burned in words; no Reprint, the way to Settings instead.
      await card(1).getByRole('button', { name: fill(m.grid.detailsLabel, { slot: fill(m.grid.slotNumber, { number: 1 }) }) }).click();
      const detail = page.getByRole('dialog', { name: fill(m.detail.title, { serial: 'WORDS001' }) });
      await expect(detail.getByTestId('record-hash')).toBeVisible();
      await expect(detail).toContainText(named(m, 'CAMERA_DISABLE'));
      await expect(detail).toContainText(named(m, 'GPS_DISABLE'));
      await expect(detail.getByRole('button', { name: m.noPrinter.setPrinter })).toBeVisible();
      await expect(detail.getByRole('button', { name: m.labels.reprint })).toHaveCount(0);
      await expect(detail.getByLabel(m.labels.reprintReason)).toHaveCount(0);
      await detail.getByRole('button', { name: m.common.close }).click();

      // #15: the second handset waits for an authorisation; Abort asks first, starting on the safe choice.
      depot.handset('WORDS002').plugIn();
      await expect(card(2)).toContainText(m.phase.waitingForSupervisor, { timeout: 90_000 });
      const slot2 = fill(m.grid.slotNumber, { number: 2 });
      const abort = card(2).getByRole('button', { name: fill(m.grid.abortLabel, { slot: slot2 }) });
      await shoot(page, testInfo, language, 'abort-offered', { scan: true });
      await abort.click();
      const confirmAbort = page.getByRole('dialog', { name: fill(m.confirm.abortTitle, { slot: slot2 }) });
      await expect(confirmAbort).toContainText(fill(m.confirm.abortText, { serial: 'WORDS002' }));
      await expectFocusTrapped(page, confirmAbort, confirmAbort.getByRole('button', { name: m.confirm.keepRunning }));
      await shoot(page, testInfo, language, 'abort-confirm', { scan: true });
      expect(await english()).toEqual([]);
      // Enter on the safe choice, and Escape, keep the handset going; focus goes back to Abort.
      await page.keyboard.press('Enter');
      await expect(confirmAbort).toBeHidden();
      await expect(abort).toBeFocused();
      await abort.click();
      await page.keyboard.press('Escape');
      await expect(confirmAbort).toBeHidden();
      expect(await snapshotOf('WORDS002')).toMatchObject({ phase: 'waiting-for-authorisation' });
      await expect(card(2)).toContainText(m.phase.waitingForSupervisor);
      // Confirmed, it stops.
      await abort.click();
      await confirmAbort.getByRole('button', { name: m.confirm.abortButton }).click();
      await expect(card(2)).toContainText(m.phase.aborted);
      expect(await snapshotOf('WORDS002')).toMatchObject({ phase: 'aborted' });

      // #15: New shift asks before it zeroes the counts; cancelled, they stay.
      const done = page.getByTestId('counter-done');
      const failed = page.getByTestId('counter-failed');
      await expect(done).toContainText('1');
      await expect(failed).toContainText('1');
      const newShift = batchBar.getByRole('button', { name: m.counters.reset });
      await newShift.click();
      const confirmShift = page.getByRole('dialog', { name: m.confirm.shiftTitle });
      await expect(confirmShift).toContainText(fill(m.confirm.shiftText, { done: 1, failed: 1 }));
      await expect(confirmShift.getByRole('button', { name: m.common.cancel })).toBeFocused();
      await confirmShift.getByRole('button', { name: m.common.cancel }).click();
      await expect(confirmShift).toBeHidden();
      await expect(done).toContainText('1');
      await expect(failed).toContainText('1');
      await newShift.click();
      await confirmShift.getByRole('button', { name: m.confirm.shiftButton }).click();
      await expect(done).toContainText('0');
      await expect(failed).toContainText('0');

      // #11: History lists the same handset as unprinted, offers no Reprint, and takes an admin to Settings.
      await nav.getByRole('button', { name: m.nav.history }).click();
      const unprinted = page.getByRole('region', { name: fill(m.unprinted.title_one, { count: 1 }) });
      await expect(unprinted.getByRole('table', { name: m.unprinted.table })).toContainText('WORDS001');
      await expect(unprinted).toContainText(m.unprinted.noPrinter);
      await expect(unprinted.getByRole('button', { name: fill(m.unprinted.reprintLabel, { serial: 'WORDS001' }) })).toHaveCount(0);
      expect(await english()).toEqual([]);
      await unprinted.getByRole('button', { name: m.noPrinter.setPrinter }).click();
      await expect(page.getByRole('form', { name: m.settings.setPrinter })).toBeVisible();
      // #8 in Settings' profiles too.
      await expect(page.getByRole('table', { name: m.settings.profiles })).toContainText(named(m, 'CAMERA_DISABLE'));

      // A technician is told who sets a printer, on the batch bar and in the detail view, and gets no button for it.
      await page.getByRole('button', { name: m.nav.signOut }).click();
      await signIn(page, m, TECHNICIAN);
      await nav.getByRole('button', { name: m.nav.station }).click();
      await expect(batchBar).toContainText(m.noPrinter.askAdminShort);
      await expect(page.getByRole('button', { name: m.noPrinter.setPrinter })).toHaveCount(0);
      expect(await english()).toEqual([]);
      await card(1).getByRole('button', { name: fill(m.grid.detailsLabel, { slot: fill(m.grid.slotNumber, { number: 1 }) }) }).click();
      await expect(detail).toContainText(m.noPrinter.askAdmin);
      await expect(detail.getByRole('button', { name: m.noPrinter.setPrinter })).toHaveCount(0);
      expect(problems).toEqual([]);
    });
  });
}
