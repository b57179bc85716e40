// Demo mode's own materials: the demo bundle (signed with the DEMO key) and demo operator accounts,
// each named as demo so no one mistakes them for production. Nothing here is used outside demo
// mode: the CLI and the app call these only when the operator asked for a demo.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_DEFAULTS, generateDemoBundle } from '../bundle/demo.ts';
import type { Credentials } from '../records/operators.ts';
import type { StationRecords } from '../records/station-records.ts';

const DEMO_PIN = '246810';
export const DEMO_OPERATOR: Credentials = { id: 'demo-technician', pin: DEMO_PIN };
export const DEMO_SUPERVISOR: Credentials = { id: 'demo-supervisor', pin: DEMO_PIN };
const DEMO_ADMIN: Credentials = { id: 'demo-admin', pin: DEMO_PIN };

/** Creates the demo operators in a demo database that lacks them. */
export function ensureDemoOperators(records: StationRecords): void {
  const { operators } = records;
  if (operators.isEmpty()) operators.createFirstAdmin({ id: DEMO_ADMIN.id, displayName: 'DEMO admin (not for production)', pin: DEMO_ADMIN.pin });
  if (!operators.get(DEMO_OPERATOR.id)) operators.add(DEMO_ADMIN, { id: DEMO_OPERATOR.id, displayName: 'DEMO technician', role: 'technician', pin: DEMO_PIN });
  if (!operators.get(DEMO_SUPERVISOR.id)) operators.add(DEMO_ADMIN, { id: DEMO_SUPERVISOR.id, displayName: 'DEMO supervisor', role: 'supervisor', pin: DEMO_PIN });
}

const demoBundleLocation = (dataDir: string): string => join(dataDir, 'demo', `bundle-${DEMO_DEFAULTS.version}`);
const prepared = (location: string): boolean => existsSync(join(location, 'manifest.json'));

/** The demo bundle in the station's data folder, generated once (same options, same bytes). */
export async function ensureDemoBundle(dataDir: string): Promise<string> {
  const location = demoBundleLocation(dataDir);
  if (!prepared(location)) await generateDemoBundle({ out: location });
  return location;
}

/** Where the demo bundle of this data folder is, or null while nobody has prepared it (never generates it). */
export function preparedDemoBundle(dataDir: string): string | null {
  const location = demoBundleLocation(dataDir);
  return prepared(location) ? location : null;
}
