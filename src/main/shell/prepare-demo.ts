// What `npm run demo` needs before the window opens: the demo bundle (signed with the DEMO key) and
// the demo operator accounts, in the demo's own data folder so no demo record ever mixes with a
// depot's real ones.
import { openStationRecords } from '../records/station-records.ts';
import { ensureDemoBundle, ensureDemoOperators } from '../station/demo-station.ts';

/** Returns where the demo bundle is. */
export async function prepareDemo(dataDir: string): Promise<string> {
  const records = openStationRecords(dataDir);
  try {
    ensureDemoOperators(records);
  } finally {
    records.close();
  }
  return ensureDemoBundle(dataDir);
}
