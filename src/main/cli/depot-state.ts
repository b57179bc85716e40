// The depot state as the CLI says it, on one line for standard error or a live table's header:
// connected (backlog N), offline since HH:MM (backlog N, why), or REFUSED (when, why).
import type { DepotSyncState } from '../../shared/depot.ts';

/** HH:MM in the machine's time zone, as a person at the station reads a clock. */
function clock(iso: string): string {
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? iso : `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`;
}

export function describeDepotState(state: DepotSyncState): string {
  switch (state.kind) {
    case 'idle':
      return 'connecting';
    case 'connected':
      return `connected, backlog ${state.backlog}`;
    case 'offline':
      return `offline since ${clock(state.since)}, backlog ${state.backlog}: ${state.reason}`;
    case 'refused':
      return `REFUSED at ${state.at}: ${state.reason}`;
  }
}
