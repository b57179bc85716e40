// The depot state in the station window's header, over the test bridge to a real station core that
// joined a real PostgreSQL depot: connected, then offline since when once the depot stops (a handset
// committed meanwhile counted in the backlog), connected again after the restart with the backlog gone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCredentialsFile } from '../../src/main/depot/connection.ts';
import { depotTagSettings } from '../../src/main/depot/admin.ts';
import { joinDepot } from '../../src/main/depot/station-depot.ts';
import { openStationRecords } from '../../src/main/records/station-records.ts';
import { openStation } from '../../src/main/station/open-station.ts';
import { startPostgres } from '../support/postgres-server.ts';
import { createDepot, POSTGRES_MISSING, registerStation } from '../integration/depot/fixture.ts';
import { addDepotOperators } from '../depot-operators.ts';
import { attachStation, expect, uiTest } from './fixtures.ts';

uiTest.use({ viewport: { width: 1366, height: 768 }, locale: 'en-GB' });

uiTest('the header shows the depot connected, offline since when it went, and connected again', async ({ page, rendererUrl }) => {
  uiTest.skip(POSTGRES_MISSING !== null, POSTGRES_MISSING ?? '');
  uiTest.setTimeout(120_000);
  const server = await startPostgres();
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-e2e-depot-'));
  try {
    const depot = await createDepot(server);
    const records = openStationRecords(dir);
    addDepotOperators(records);
    const { databasePath, identity } = records;
    records.close();
    const credentialsPath = join(dir, 'handed-over.json');
    await writeCredentialsFile(credentialsPath, await registerStation(server, depot, identity.fingerprint));
    await joinDepot({ databasePath, credentialsPath, stationFingerprint: identity.fingerprint });
    const opened = await openStation({ dataDir: dir, fleet: 'simulated', depotSync: { pollMs: 50, backoffMinMs: 20, backoffMaxMs: 200, timeoutMs: 5_000 } });
    try {
      await attachStation(page, opened.station);
      await page.goto(rendererUrl);
      const header = page.getByTestId('depot-state').locator('.badge-text');
      // Shown before anyone signs in: the technician sees the depot is down before starting.
      await expect(header).toHaveText('Depot: connected');
      server.stop('fast');
      await expect(header).toHaveText(/^Depot: offline since \d\d:\d\d, backlog 0$/);
      await expect(page.getByTestId('depot-state')).toHaveAttribute('data-state', 'offline');
      server.start();
      await expect(header).toHaveText('Depot: connected');
    } finally {
      await opened.close();
    }
  } finally {
    server.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});

uiTest('beside the depot state, the header says how many tags are left when they run low', async ({ page, rendererUrl }) => {
  uiTest.skip(POSTGRES_MISSING !== null, POSTGRES_MISSING ?? '');
  uiTest.setTimeout(120_000);
  const server = await startPostgres();
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-e2e-depot-tags-'));
  try {
    const depot = await createDepot(server);
    // Leases of 10 tags, and a station that tops up only when it has none left: 10 is below the warning's 25.
    await depotTagSettings(depot.admin, { leaseSize: 10 });
    const records = openStationRecords(dir);
    addDepotOperators(records);
    const { databasePath, identity } = records;
    records.close();
    const credentialsPath = join(dir, 'handed-over.json');
    await writeCredentialsFile(credentialsPath, await registerStation(server, depot, identity.fingerprint));
    await joinDepot({ databasePath, credentialsPath, stationFingerprint: identity.fingerprint, settings: { tagTopUpBelow: 1 } });
    const opened = await openStation({ dataDir: dir, fleet: 'simulated', depotSync: { pollMs: 50, backoffMinMs: 20, backoffMaxMs: 200, timeoutMs: 5_000, tagTopUpBelow: 1 } });
    try {
      await attachStation(page, opened.station);
      await page.goto(rendererUrl);
      await expect(page.getByTestId('depot-tags-low').locator('.badge-text')).toHaveText('10 tags left; connect the depot');
      await expect(page.getByTestId('depot-state').locator('.badge-text').first()).toHaveText('Depot: connected');
    } finally {
      await opened.close();
    }
  } finally {
    server.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
