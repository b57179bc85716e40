// Settings → Operators on a station whose depot manages its operators, over the test bridge to a real
// station core and a real PostgreSQL depot: the panel says changes are made at the depot; an admin adds
// an operator there from the window and changes another's role (the depot holds both, journaled as made
// by that admin at this station); with the depot stopped, disabling an operator is refused in words and nothing changes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCredentialsFile } from '../../src/main/depot/connection.ts';
import { changeDepotOperator, depotOperatorChanges } from '../../src/main/depot/operators-admin.ts';
import { joinDepot } from '../../src/main/depot/station-depot.ts';
import { openStationRecords } from '../../src/main/records/station-records.ts';
import { openStation } from '../../src/main/station/open-station.ts';
import { startPostgres } from '../support/postgres-server.ts';
import { createDepot, POSTGRES_MISSING, registerStation } from '../integration/depot/fixture.ts';
import { addDepotOperators } from '../depot-operators.ts';
import { attachStation, expect, uiTest } from './fixtures.ts';
import { fill, LANGUAGE_MESSAGES, signIn } from './ui-flow.ts';

uiTest.use({ viewport: { width: 1366, height: 768 }, locale: 'en-GB' });

const DEPOT_ADMIN = { id: 'depot.admin', pin: '24681357' } as const;
const DEPOT_TECH = { id: 'tech.okafor', pin: '13572468' } as const;
const NEWCOMER = { id: 'sup.ferreira', name: 'R. Ferreira', pin: '86420975' } as const;

uiTest("an admin changes the depot's operators from Settings; offline, the change is refused in words", async ({ page, rendererUrl }) => {
  uiTest.skip(POSTGRES_MISSING !== null, POSTGRES_MISSING ?? '');
  uiTest.setTimeout(120_000);
  const m = LANGUAGE_MESSAGES.en;
  const server = await startPostgres();
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-e2e-depot-operators-'));
  try {
    const depot = await createDepot(server);
    await changeDepotOperator(depot.admin, { change: 'added', id: DEPOT_ADMIN.id, displayName: 'Depot Admin', role: 'admin', pin: DEPOT_ADMIN.pin });
    await changeDepotOperator(depot.admin, { change: 'added', id: DEPOT_TECH.id, displayName: 'C. Okafor', role: 'technician', pin: DEPOT_TECH.pin });
    const records = openStationRecords(dir);
    addDepotOperators(records);
    const { identity, databasePath } = records;
    records.close();
    const credentials = await registerStation(server, depot, identity.fingerprint);
    const handedOver = join(dir, 'handed-over.credentials.json');
    await writeCredentialsFile(handedOver, credentials);
    await joinDepot({ databasePath, credentialsPath: handedOver, stationFingerprint: identity.fingerprint });
    const opened = await openStation({ dataDir: dir, fleet: 'simulated', depotSync: { pollMs: 50, backoffMinMs: 20, backoffMaxMs: 200, timeoutMs: 3_000 } });
    try {
      await attachStation(page, opened.station);
      await page.goto(rendererUrl);
      await signIn(page, m, DEPOT_ADMIN);
      await page.getByRole('navigation').getByRole('button', { name: m.nav.settings }).click();
      const panel = page.getByRole('region', { name: m.settings.operators });
      await expect(panel.getByText(m.settings.operatorsAtDepot)).toBeVisible();

      await panel.getByLabel(m.settings.adminPin).fill(DEPOT_ADMIN.pin);
      const addForm = page.getByRole('form', { name: m.settings.addOperator });
      await addForm.getByLabel(m.settings.operatorId).fill(NEWCOMER.id);
      await addForm.getByLabel(m.settings.operatorName).fill(NEWCOMER.name);
      await addForm.getByLabel(m.settings.role).selectOption('supervisor');
      await addForm.getByLabel(m.settings.newPin, { exact: true }).fill(NEWCOMER.pin);
      await addForm.getByLabel(m.settings.newPinRepeat).fill(NEWCOMER.pin);
      await addForm.getByRole('button', { name: m.settings.addOperatorButton }).click();
      await expect(page.getByRole('status').filter({ hasText: fill(m.settings.operatorAdded, { id: NEWCOMER.id, name: NEWCOMER.name }) })).toBeVisible();
      const operators = page.getByRole('table', { name: m.settings.operators });
      await expect(operators.locator('tbody tr').filter({ hasText: NEWCOMER.id })).toContainText(NEWCOMER.name);
      expect((await depotOperatorChanges(depot.admin))[0]).toMatchObject({ operatorId: NEWCOMER.id, change: 'added', madeBy: `${DEPOT_ADMIN.id}@${credentials.station}` });

      // A role changed from here is changed at the depot, journaled as this admin at this station.
      await panel.getByLabel(m.settings.adminPin).fill(DEPOT_ADMIN.pin);
      await panel.getByRole('combobox', { name: fill(m.settings.roleOfOperator, { id: DEPOT_TECH.id }) }).selectOption('supervisor');
      await panel.getByRole('button', { name: fill(m.settings.changeRoleOperator, { id: DEPOT_TECH.id }) }).click();
      await expect(page.getByRole('status').filter({ hasText: fill(m.settings.roleChangedDone, { id: DEPOT_TECH.id, role: m.roles.supervisor }) })).toBeVisible();
      await expect(operators.locator('tbody tr').filter({ hasText: DEPOT_TECH.id }).locator('td').nth(2)).toHaveText(m.roles.supervisor);
      expect((await depotOperatorChanges(depot.admin))[0]).toMatchObject({ operatorId: DEPOT_TECH.id, change: 'role-changed', madeBy: `${DEPOT_ADMIN.id}@${credentials.station}` });

      // The depot stopped: refused as offline, in words; the technician stays enabled here and at the depot.
      const before = await depotOperatorChanges(depot.admin);
      server.stop('fast');
      try {
        await panel.getByLabel(m.settings.adminPin).fill(DEPOT_ADMIN.pin);
        await page.getByRole('button', { name: fill(m.settings.disableOperator, { id: DEPOT_TECH.id }) }).click();
        const offlineWords = m.errors.DEPOT_OFFLINE.slice(0, m.errors.DEPOT_OFFLINE.indexOf(' ({{reason}})'));
        await expect(panel.getByRole('alert')).toContainText(offlineWords);
        await expect(operators.locator('tbody tr').filter({ hasText: DEPOT_TECH.id })).toContainText(m.settings.active);
      } finally {
        server.start();
      }
      expect(await depotOperatorChanges(depot.admin)).toEqual(before);
      // Reconnected before the station closes, as any station after an outage.
      await expect(page.getByTestId('depot-state').locator('.badge-text')).toHaveText(m.depot.connected, { timeout: 30_000 });
    } finally {
      await opened.close();
    }
  } finally {
    server.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
