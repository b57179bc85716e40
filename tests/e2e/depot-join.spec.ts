// Settings → Depot in the station window, over the test bridge to a real station core and a real
// PostgreSQL depot: a technician is not offered the join; an admin's credentials file for another
// station's key is refused in words; the station's own file joins it, says what was uploaded, and the
// header, empty for a station in no depot, shows the depot connected.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCredentialsFile } from '../../src/main/depot/connection.ts';
import { openStationRecords } from '../../src/main/records/station-records.ts';
import { openStation } from '../../src/main/station/open-station.ts';
import { startPostgres } from '../support/postgres-server.ts';
import { createDepot, POSTGRES_MISSING, registerStation } from '../integration/depot/fixture.ts';
import { addDepotOperators, ADMIN, TECHNICIAN } from '../depot-operators.ts';
import { attachStation, expect, uiTest } from './fixtures.ts';
import { fill, LANGUAGE_MESSAGES, signIn } from './ui-flow.ts';

uiTest.use({ viewport: { width: 1366, height: 768 }, locale: 'en-GB' });

uiTest('an admin joins the depot from Settings with the credentials file; the header follows', async ({ page, rendererUrl }) => {
  uiTest.skip(POSTGRES_MISSING !== null, POSTGRES_MISSING ?? '');
  uiTest.setTimeout(120_000);
  const m = LANGUAGE_MESSAGES.en;
  const server = await startPostgres();
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-e2e-join-'));
  try {
    const depot = await createDepot(server);
    const records = openStationRecords(dir);
    addDepotOperators(records);
    const { identity } = records;
    records.close();
    const other = openStationRecords(join(dir, 'other'));
    const otherKey = other.identity.fingerprint;
    other.close();
    const credentials = await registerStation(server, depot, identity.fingerprint);
    const own = join(dir, 'own.credentials.json');
    await writeCredentialsFile(own, credentials);
    const foreign = join(dir, 'foreign.credentials.json');
    const foreignCredentials = await registerStation(server, depot, otherKey);
    await writeCredentialsFile(foreign, foreignCredentials);
    const opened = await openStation({ dataDir: dir, fleet: 'simulated', depotSync: { pollMs: 50, backoffMinMs: 20, backoffMaxMs: 200, timeoutMs: 5_000 } });
    try {
      await attachStation(page, opened.station);
      await page.goto(rendererUrl);
      const nav = page.getByRole('navigation');
      await signIn(page, m, TECHNICIAN);
      await nav.getByRole('button', { name: m.nav.settings }).click();
      await expect(page.getByRole('heading', { name: m.settings.identity })).toBeVisible();
      await expect(page.getByRole('region', { name: m.settings.depot })).toHaveCount(0);
      await page.getByRole('button', { name: m.nav.signOut }).click();

      await signIn(page, m, ADMIN);
      await nav.getByRole('button', { name: m.nav.settings }).click();
      await expect(page.getByTestId('depot-state')).toHaveCount(0);
      const form = page.getByRole('form', { name: m.settings.depotJoin });
      await form.getByLabel(m.settings.depotCredentials).fill(foreign);
      await form.getByRole('button', { name: m.settings.depotJoin }).click();
      const panel = page.getByRole('region', { name: m.settings.depot });
      await expect(panel.getByRole('alert').locator('.badge-text')).toHaveText(fill(m.errors.DEPOT_CREDENTIALS_FOREIGN, { station: foreignCredentials.station }));
      await expect(page.getByTestId('depot-state')).toHaveCount(0);

      await form.getByLabel(m.settings.depotCredentials).fill(own);
      await form.getByRole('button', { name: m.settings.depotJoin }).click();
      await expect(panel.getByTestId('depot-joined').locator('.badge-text')).toHaveText(fill(m.settings.depotJoined, { station: credentials.station, records: 0 }));
      await expect(panel.getByRole('alert')).toHaveCount(0);
      await expect(page.getByTestId('depot-state').locator('.badge-text')).toHaveText(m.depot.connected);
    } finally {
      await opened.close();
    }
  } finally {
    server.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
