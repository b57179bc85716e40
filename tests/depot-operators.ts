// The three accounts a test depot signs in with, and the one way to create them in a station's records.
import type { StationRecords } from '../src/main/records/station-records.ts';

export const ADMIN = { id: 'admin', pin: '4711235' } as const;
export const SUPERVISOR = { id: 'sup.kowalski', pin: '90210044' } as const;
export const TECHNICIAN = { id: 'tech.ng', pin: '55550001' } as const;

export const DISPLAY_NAMES = { [ADMIN.id]: 'Depot Admin', [SUPERVISOR.id]: 'A. Kowalski', [TECHNICIAN.id]: 'T. Ng' } as const;

/** The first admin, then a supervisor and a technician added by that admin. */
export function addDepotOperators(records: Pick<StationRecords, 'operators'>): void {
  records.operators.createFirstAdmin({ id: ADMIN.id, displayName: DISPLAY_NAMES[ADMIN.id], pin: ADMIN.pin });
  records.operators.add(ADMIN, { id: SUPERVISOR.id, displayName: DISPLAY_NAMES[SUPERVISOR.id], role: 'supervisor', pin: SUPERVISOR.pin });
  records.operators.add(ADMIN, { id: TECHNICIAN.id, displayName: DISPLAY_NAMES[TECHNICIAN.id], role: 'technician', pin: TECHNICIAN.pin });
}
