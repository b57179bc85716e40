// Issue 20 #5 in Chinese: what the station says is worded in the operator's language, not only the UI's own
// labels. A technician meets a refused sign-in, a refusal by role at the supervisor's gate, a handset whose
// AT check fails (named and advised by its profile's Chinese texts) and one whose flash the handset refuses,
// opens the detail view and History, and scans the bus: no English on screen beyond what a handset said (its serials and
// its refusal), the profiles' names (ui-flow.ts) and the codes.
import type { Page } from '@playwright/test';
import { SUPERVISOR, TECHNICIAN } from './depot.ts';
import { attachStation, depotPerTest, expect, uiTest as test } from './fixtures.ts';
import { fill, LANGUAGE_MESSAGES, signIn, untranslated } from './ui-flow.ts';

const m = LANGUAGE_MESSAGES['zh-CN'];
const REFUSAL = 'eMMC write error 0x15';
const DEVICES = [
  { serial: 'ZH0001', usbPort: '1-1.1', faults: [{ kind: 'capability-lie', capability: 'camera' }] },
  { serial: 'ZH0002', usbPort: '1-1.2', faults: [{ kind: 'fail', command: 'flash:', message: REFUSAL, times: 'always' }] },
];
/** What a handset said or is called: not the UI's to translate. */
const UNTRUSTED = [REFUSAL, ...DEVICES.map((device) => device.serial)];

test.use({ locale: 'zh-CN', viewport: { width: 1366, height: 768 } });
test.describe.configure({ timeout: 180_000 });

const openDepot = depotPerTest();

async function expectNoEnglish(page: Page): Promise<void> {
  expect(await untranslated(page, 'zh-CN', UNTRUSTED)).toEqual([]);
}

test('a refused sign-in, a refusal by role, a failed check, a refused flash, the detail view and the bus status, all in Chinese', async ({ page, rendererUrl }) => {
  const depot = await openDepot({ devices: DEVICES, timing: { linkBytesPerSecond: 0, flashBytesPerSecond: 0, rebootMs: 300 } });
  await depot.station['session.signIn'](TECHNICIAN);
  await depot.station['batch.start']({ bundlePath: depot.bundlePath, expectedCount: DEVICES.length, parallel: DEVICES.length });
  await depot.station['session.signOut'](undefined);
  await attachStation(page, depot.station);
  await page.goto(rendererUrl);

  // A wrong PIN: refused in Chinese.
  await signIn(page, m, { id: TECHNICIAN.id, pin: '00000000' });
  await expect(page.getByRole('alert')).toContainText(m.errors.SIGN_IN_FAILED);
  await expectNoEnglish(page);
  await signIn(page, m, TECHNICIAN);

  // A technician at the supervisor's gate: refused by role, the roles named in Chinese.
  await page.getByRole('button', { name: m.gate.waiting }).click();
  const gate = page.getByRole('dialog', { name: m.gate.title });
  await gate.getByLabel(m.gate.supervisorId).fill(TECHNICIAN.id);
  await gate.getByLabel(m.gate.supervisorPin).fill(TECHNICIAN.pin);
  await gate.getByRole('button', { name: m.gate.authorise }).click();
  const needed = `${m.roles.supervisor}或${m.roles.admin}`;
  await expect(gate.getByRole('alert')).toContainText(fill(m.errors.ROLE_NOT_ALLOWED, { operator: TECHNICIAN.id, role: m.roles.technician, needed }));
  await expectNoEnglish(page);
  await gate.getByLabel(m.gate.supervisorId).fill(SUPERVISOR.id);
  await gate.getByLabel(m.gate.supervisorPin).fill(SUPERVISOR.pin);
  await gate.getByRole('button', { name: m.gate.authorise }).click();
  await expect(gate).toBeHidden();

  // The failed AT check (a camera on a fused handset: an alarm): named and explained by the profile's Chinese texts.
  depot.handset('ZH0001').plugIn();
  const checkCard = page.getByRole('article', { name: fill(m.grid.slotNumber, { number: 1 }), exact: true });
  await expect(checkCard).toContainText(m.failure.CHECK_ALARM.what, { timeout: 60_000 });
  await expect(checkCard).toContainText('摄像头已禁用：虽然禁用摄像头的熔丝已熔断，操作系统仍报告有摄像头。');

  // The refused flash: the station's words in Chinese, the handset's own refusal quoted as it came.
  depot.handset('ZH0002').plugIn();
  const flashCard = page.getByRole('article', { name: fill(m.grid.slotNumber, { number: 2 }), exact: true });
  await expect(flashCard).toContainText(m.failure.DEVICE_REFUSED.what, { timeout: 60_000 });
  await expect(flashCard.locator('.reason-detail')).toContainText(/^手机拒绝了 \S+：eMMC write error 0x15$/);
  await expectNoEnglish(page);

  // The detail view of the failed check: the check by its Chinese title, the failure by its words, the log in Chinese.
  await checkCard.getByRole('button', { name: fill(m.grid.detailsLabel, { slot: fill(m.grid.slotNumber, { number: 1 }) }) }).click();
  const detail = page.getByTestId('handset-detail');
  await expect(detail.getByRole('region', { name: m.detail.checks })).toContainText(`摄像头已禁用: ${m.detail.checkFailed}`);
  await expect(detail).toContainText(m.failure.CHECK_ALARM.what);
  const log = detail.getByRole('table', { name: m.detail.stepLog });
  await expect(log).toContainText(m.stepEvent.verified);
  await expect(log).toContainText(m.stepEvent.lockSent);
  await expectNoEnglish(page);
  // The station's own English is there for whoever asks, under a heading that says what it is.
  await detail.getByText(m.stationOriginal).first().click();
  await expect(detail.locator('details[open] [lang="en"]').first()).toBeVisible();
  await page.getByRole('button', { name: m.common.close, exact: true }).last().click();

  // History: both failed records, and one opened, in Chinese.
  await page.getByRole('navigation').getByRole('button', { name: m.nav.history }).click();
  await expect(page.getByRole('table', { name: m.history.table })).toContainText('ZH0002');
  await expectNoEnglish(page);
  await page.getByRole('button', { name: fill(m.history.openRecord, { seq: 1 }) }).click();
  const record = page.getByRole('dialog');
  await expect(record).toContainText(m.outcome.failed);
  await expectNoEnglish(page);
  await record.getByRole('button', { name: m.common.close, exact: true }).last().click();

  // The bus: each way of reaching handsets in Chinese.
  await page.getByRole('navigation').getByRole('button', { name: m.nav.settings }).click();
  await page.getByRole('button', { name: m.settings.scan }).click();
  const transports = page.getByRole('list', { name: m.settings.transports });
  await expect(transports).toContainText(fill(m.transportStatus.usbHandsets, { bus: m.transportBus.simulated, count: 2 }).replace(/：.*/, ''));
  await expect(transports).toContainText(fill(m.transportStatus.simulatedPorts, { count: 0 }).replace(/：.*/, ''));
  await expectNoEnglish(page);
});
