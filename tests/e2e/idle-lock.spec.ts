// Issue 20 #16: the idle lock is a station policy. A technician sees it on the Settings screen but
// has nothing to change it with; an admin sets it, and the window locks after the admin's time.
import { ADMIN, TECHNICIAN } from './depot.ts';
import { expect, test } from './fixtures.ts';
import { fill, LANGUAGE_MESSAGES, signIn } from './ui-flow.ts';

test.use({ viewport: { width: 1366, height: 768 }, locale: 'en-GB' });

test('a technician sees the idle lock but cannot change it; an admin sets it and the window follows it', async ({ page, station }) => {
  const m = LANGUAGE_MESSAGES.en;
  await page.clock.install();
  await page.reload();
  await signIn(page, m, TECHNICIAN);
  const nav = page.getByRole('navigation');
  await nav.getByRole('button', { name: m.nav.settings }).click();
  const policy = page.getByRole('region', { name: m.settings.idleLock });
  await expect(policy.getByTestId('idle-lock')).toHaveText(fill(m.settings.idleAfter_other, { count: 5 }));
  await expect(policy).toContainText(m.settings.idleAdminOnly);
  await expect(policy.getByRole('spinbutton')).toHaveCount(0);
  await expect(page.getByLabel(m.settings.idleMinutes)).toHaveCount(0);
  await page.getByRole('button', { name: m.nav.signOut }).click();

  await signIn(page, m, ADMIN);
  await nav.getByRole('button', { name: m.nav.settings }).click();
  const form = page.getByRole('form', { name: m.settings.idleLock });
  await form.getByLabel(m.settings.idleMinutes).fill('2');
  await form.getByRole('button', { name: m.settings.saveIdleLock }).click();
  await expect(form.getByRole('status')).toHaveText(new RegExp(m.settings.idleLockSaved));
  await expect(page.getByTestId('idle-lock')).toHaveText(fill(m.settings.idleAfter_other, { count: 2 }));
  expect(await station['settings.read'](undefined)).toMatchObject({ idleLockMinutes: 2 });

  // The window follows the station's policy: two idle minutes sign the admin out.
  await page.clock.fastForward('02:30');
  await expect(page.getByRole('status')).toContainText(fill(m.signIn.locked_other, { count: 2 }));
  expect(await station['session.current'](undefined)).toBeNull();
});
