// The depot as the CLI shows it: a station's link on one line for standard error or a live table's
// header (connected, backlog N / offline since HH:MM, backlog N, why / REFUSED, when, why), and
// every station as the depot sees it, as a table.
import type { DepotVerifyOutcome } from '../../shared/depot-export.ts';
import { DEPOT_STREAMS, tagSupplyWarning, type DepotSyncState } from '../../shared/depot.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import type { StationOverview } from '../depot/admin.ts';

/** HH:MM in the machine's time zone, as a person at the station reads a clock. */
function clock(iso: string): string {
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? iso : `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`;
}

/** The link's state, then the tags running low when they are: "connected, backlog 0; 12 tags left; connect the depot". */
export function describeDepotState(state: DepotSyncState): string {
  return state.tagsLow ? `${describeLink(state)}; ${tagSupplyWarning(state.tagsLow.left, state.tagsLow.pending) ?? ''}` : describeLink(state);
}

function describeLink(state: DepotSyncState): string {
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

/** The backlog a station last reported, or `?` before its first report. */
function reportedBacklog(station: StationOverview): string {
  return station.report ? String(DEPOT_STREAMS.reduce((sum, stream) => sum + (station.report?.backlog[stream] ?? 0), 0)) : '?';
}

/** Tags left: as the station last reported them (`-` for one numbering its own), else the depot's count of its unused leased numbers. */
function tagsLeft(station: StationOverview): string {
  if (!station.report) return String(station.tagsLeft);
  return station.report.tagsLeft === null ? '-' : String(station.report.tagsLeft);
}

/** A station's alarms: a refusal it reported, and a running-low warning of its tags. */
export function stationAlarms(station: StationOverview): string[] {
  const report = station.report;
  if (!report) return [];
  return [
    ...(report.refusal === null ? [] : [`REFUSED (reported ${report.reportedAt}): ${displaySafe(report.refusal)}`]),
    ...(report.tagWarning === null ? [] : [displaySafe(report.tagWarning)]),
  ];
}

/**
 * Every station as the depot sees it, one row each, then each alarm on a line of its own. The
 * backlog, a refusal and the tags left are as the station last reported them (`?`: no report yet).
 */
export function overviewTable(stations: readonly StationOverview[]): string {
  const rows = [
    ['STATION', 'LAST CONTACT', 'RECORDS HELD', 'HEAD SEQ', 'RECEIVED TODAY', 'FAILED TODAY', 'BACKLOG', 'TAGS LEFT', 'LABELS', 'LABELS FAILED', 'ALARMS'],
    ...stations.map((station) => [
      station.name,
      station.lastContactAt ?? 'never',
      String(station.records),
      String(station.headSeq),
      String(station.recordsToday),
      String(station.failuresToday),
      reportedBacklog(station),
      tagsLeft(station),
      String(station.labelJobs),
      String(station.labelsFailed),
      String(stationAlarms(station).length),
    ]),
  ];
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  const lines = rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd());
  const alarms = stations.flatMap((station) => stationAlarms(station).map((alarm) => `ALARM ${station.name}: ${alarm}`));
  return `${[...lines, ...alarms].join('\n')}\n`;
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
    ...outcome.stations.map(
      (station) =>
        `  ${station.station}  key ${station.keyFingerprint}  chain head record ${station.headSeq} ${station.headHash}, ${station.records} records in range` +
        (station.labelJobs === undefined ? '' : `, ${station.labelJobs} label jobs and ${station.labelOutcomes ?? 0} outcomes of them`),
    ),
    'Each chain links and hashes from its first line to the head the depot held.',
    ...(outcome.format === 'lockstep-depot-export/3'
      ? ['Label jobs and outcomes are as the depot holds them, each of a record in its section: no station hashed nor signed them.']
      : []),
    ...signatures,
    '',
  ].join('\n');
}
