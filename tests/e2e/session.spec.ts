// Sign-in and the idle lock: a wrong PIN is refused with the records' own reason, the operator's
// name and role stay in view, and after the idle time the window signs out in main (the next call
// for a person is refused) while the batch would keep running.
import { ADMIN, TECHNICIAN } from './depot.ts';
import { expect, test } from './fixtures.ts';

test.use({ viewport: { width: 1366, height: 768 }, locale: 'en-GB' });

test('a wrong PIN is refused; the window locks itself after the idle time and main forgets the session', async ({ page, station }) => {
  await page.clock.install();
  await page.reload();
  await page.getByLabel('Operator ID', { exact: true }).fill(TECHNICIAN.id);
  await page.getByLabel('PIN', { exact: true }).fill('00000000');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByRole('alert')).toContainText('Unknown operator or wrong PIN');
  await expect(page.getByLabel('PIN', { exact: true })).toHaveValue('');

  await page.getByLabel('PIN', { exact: true }).fill(TECHNICIAN.pin);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByTestId('operator')).toContainText('T. Ng');
  await expect(page.getByTestId('operator')).toContainText('Technician');
  expect(await station['session.current'](undefined)).toMatchObject({ operator: { id: TECHNICIAN.id, role: 'technician' } });

  // Activity restarts the count: four minutes, a key press, four more minutes, still signed in.
  await page.clock.fastForward('04:00');
  await page.keyboard.press('Shift');
  await page.clock.fastForward('04:00');
  await expect(page.getByTestId('operator')).toBeVisible();
  await page.clock.fastForward('01:30');
  await expect(page.getByRole('status')).toContainText('locked itself after 5 minutes without activity');
  expect(await station['session.current'](undefined)).toBeNull();
  await expect(station['records.list']({})).rejects.toMatchObject({ code: 'NOT_SIGNED_IN' });

  await page.getByLabel('Operator ID', { exact: true }).fill(ADMIN.id);
  await page.getByLabel('PIN', { exact: true }).fill(ADMIN.pin);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByTestId('operator')).toContainText('Admin');
});
