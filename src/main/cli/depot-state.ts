// The depot as the CLI shows it: a station's link on one line for standard error or a live table's
// header (connected, backlog N / offline since HH:MM, backlog N, why / REFUSED, when, why), and
// every station as the depot sees it, as a table.
import type { DepotVerifyOutcome } from '../../shared/depot-export.ts';
import type { DepotSyncState } from '../../shared/depot.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import type { StationOverview } from '../depot/admin.ts';

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

/**
 * Every station as the depot sees it, one row each. What a station has not sent yet and why it
 * stopped (a refusal) are known on the station only (`status --db`): the depot keeps no report of them.
 */
export function overviewTable(stations: readonly StationOverview[]): string {
  const rows = [
    ['STATION', 'LAST CONTACT', 'RECORDS HELD', 'HEAD SEQ', 'RECEIVED TODAY', 'FAILED TODAY'],
    ...stations.map((station) => [
      station.name,
      station.lastContactAt ?? 'never',
      String(station.records),
      String(station.headSeq),
      String(station.recordsToday),
      String(station.failuresToday),
    ]),
  ];
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  const lines = rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd());
  return `${lines.join('\n')}\nBacklog and refusals are known on each station: lockstep depot status --db FILE there.\n`;
}

/** What each station's signature covers in an intact format 2 depot export, one line per station. */
function signatureLine(signature: Extract<DepotVerifyOutcome, { intact: true }>['signatures'][number]): string {
  const unsigned = signature.unsignedRecords === 0 ? '' : `; ${signature.unsignedRecords} record(s) after it NOT covered by its signature (proven by the depot's chain only)`;
  if (signature.publicKey === null) {
    return `  ${signature.station}: NOT SIGNED: the depot holds no head this station signed, so its ${signature.unsignedRecords} record(s) are proven by the depot's chain only`;
  }
  return `  ${signature.station}: signed by its registered key ${signature.publicKey} up to record ${signature.signedHeadSeq} (at ${signature.signedAt})${unsigned}`;
}

/** What `records verify` says of an intact depot export: each station's chain head and signature, and what is not proven. */
export function intactDepotExportText(outcome: Extract<DepotVerifyOutcome, { intact: true }>): string {
  const { head } = outcome;
  const signatures =
    outcome.format === 'lockstep-depot-export/1'
      ? ["A lockstep-depot-export/1 file holds no station signature: compare a head with that station's own signed export to prove the station wrote it."]
      : [
          ...outcome.signatures.map(signatureLine),
          "Each signature proves the station's chain up to its signed record; the depot's newest head may be newer than the station's last signed one.",
        ];
  return [
    `Intact depot export of ${displaySafe(head.database)}: ${outcome.lines} lines, ${outcome.records} records, ${head.stations} station(s), exported ${head.exportedAt}`,
    ...outcome.stations.map((station) => `  ${station.station}  key ${station.keyFingerprint}  chain head record ${station.headSeq} ${station.headHash}, ${station.records} records in range`),
    'Each chain links and hashes from its first line to the head the depot held.',
    ...signatures,
    '',
  ].join('\n');
}
