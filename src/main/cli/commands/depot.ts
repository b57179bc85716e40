import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { DEPOT_STREAMS, SSL_MODES, depotTlsSchema, stationNameSchema, type DepotStream, type DepotTls } from '../../../shared/depot.ts';
import { displaySafe } from '../../../shared/untrusted.ts';
import { addStation, depotOverview, depotTagSettings, initDepot, reissueStation } from '../../depot/admin.ts';
import { adminConnection, writeCredentialsFile } from '../../depot/connection.ts';
import { describeDepotCopyProblem } from '../../depot/depot-copy-check.ts';
import { DepotError, DepotJoinError } from '../../depot/errors.ts';
import { exportDepot } from '../../depot/export.ts';
import { exportDepotCsv } from '../../depot/export-csv.ts';
import { exportDepotPdf } from '../../depot/export-pdf.ts';
import { parseRecordFilter } from '../../records/record-filter.ts';
import { joinDepot, openStationSync, stationDepotStatus, type StationDepotStatus } from '../../depot/station-depot.ts';
import type { CliCommand } from '../command.ts';
import { runDepotDemo } from '../depot-demo.ts';
import { describeDepotState, overviewTable } from '../depot-state.ts';
import { DEPOT_OFFER_USAGE, operatorOfferText, runDepotOffer } from './depot-offer.ts';
import { DEPOT_OPERATORS_USAGE, runDepotOperators } from './depot-operators.ts';
import { CliError, EXIT_USAGE, jsonLine, type CliIo } from '../io.ts';
import { asCliErrors, openCliRecords, requireOption } from '../records-cli.ts';

const USAGE = `lockstep depot init --url postgres://ADMIN@HOST:PORT/DATABASE
       lockstep depot add-station NAME --key-fingerprint HEX --url URL --out FILE [--sslmode MODE] [--ca FILE] [--station-host HOST] [--station-port PORT]
       lockstep depot reissue-station NAME --url URL --out FILE [--sslmode MODE] [--ca FILE] [--station-host HOST] [--station-port PORT] [--json]
       lockstep depot status --url URL [--json]
       lockstep depot export --url URL --format jsonl|csv|pdf --out FILE [--from TIME] [--to TIME] [--station NAME] [--json]
       lockstep depot demo [--handsets N] [--keep]
       lockstep depot tags --url URL [--pattern P] [--lease-size N] [--json]
       lockstep depot join --db FILE --credentials FILE [--json]
       lockstep depot sync --db FILE [--once]
       lockstep depot status --db FILE [--json]
The administrator's password comes from PGPASSWORD or ~/.pgpass, never from the command line.
add-station writes the station's credentials file (mode 0600, a fresh password inside); MODE is
${SSL_MODES.join(', ')} (default verify-full, which needs --ca, the depot's CA certificate).
HEX is the station key's fingerprint, as 'lockstep records station-key --db FILE' prints it.
reissue-station gives a registered station a new password (and the TLS settings given) in a new
credentials file: the old one stops working at once (its sessions are ended) and the re-issue is
journaled; at the station, 'lockstep depot join --credentials FILE' with the new file.
join connects the station whose records database is --db and uploads its journal; sync keeps
pushing until Ctrl-C (--once: drain the backlog and exit). export writes every station's chain as
the depot holds it (records committed from --from, inclusive, to --to, exclusive; TIME is ISO 8601),
for 'lockstep records verify FILE'; the URL may name an auditor (lockstep_auditor) instead. csv and
pdf are views of the same records and their labels for reading (csv writes the labels to
FILE.labels.csv beside it): only the jsonl export can be verified. A PDF draws Chinese with a CJK
font found on the system or named by LOCKSTEP_PDF_FONT, else shows it escaped and warns.
demo starts a throwaway PostgreSQL (the system's, version 15 or later) and three simulated stations
provisioning N handsets each (default 6), one cut off the depot for part of its batch, then prints
the depot status and verifies the depot export. tags prints (and with --pattern or --lease-size
changes) the depot's asset tag pattern and the size of the tag leases it grants.
       ${DEPOT_OPERATORS_USAGE}
       ${DEPOT_OFFER_USAGE}`;

/** What `depot export --format` writes: the verifiable JSON Lines, or a view of the same records for reading. */
const DEPOT_EXPORT_CHOICES = ['jsonl', 'csv', 'pdf'] as const;

const OPTIONS = {
  url: { type: 'string' },
  'key-fingerprint': { type: 'string' },
  out: { type: 'string' },
  sslmode: { type: 'string' },
  ca: { type: 'string' },
  'station-host': { type: 'string' },
  'station-port': { type: 'string' },
  db: { type: 'string' },
  credentials: { type: 'string' },
  format: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  station: { type: 'string' },
  handsets: { type: 'string' },
  keep: { type: 'boolean', default: false },
  pattern: { type: 'string' },
  'lease-size': { type: 'string' },
  once: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

/** Runs a command, reporting the depot's refusals and outages as CliErrors with the same message. */
async function asDepotCliErrors(work: () => Promise<number>): Promise<number> {
  try {
    return await asCliErrors(work);
  } catch (error) {
    if (error instanceof DepotError || error instanceof DepotJoinError) throw new CliError(error.message);
    throw error;
  }
}

async function tlsOf(values: Values): Promise<DepotTls> {
  const mode = values.sslmode ?? 'verify-full';
  if (!(SSL_MODES as readonly string[]).includes(mode)) throw new CliError(`--sslmode is one of ${SSL_MODES.join(', ')}, not '${displaySafe(mode, 40)}'.`, EXIT_USAGE);
  if (mode === 'verify-ca' || mode === 'verify-full') {
    if (!values.ca) throw new CliError(`--sslmode ${mode} needs --ca FILE, the CA certificate the depot's server certificate is signed by (or say --sslmode).`, EXIT_USAGE);
    const ca = await readFile(values.ca, 'utf8').catch((error: Error) => {
      throw new CliError(`cannot read --ca ${displaySafe(values.ca ?? '')}: ${displaySafe(error.message)}`);
    });
    const parsed = depotTlsSchema.safeParse({ mode, ca });
    if (!parsed.success) throw new CliError(`--ca ${displaySafe(values.ca)} is not a PEM certificate.`);
    return parsed.data;
  }
  if (values.ca) throw new CliError(`--ca is only used with --sslmode verify-ca or verify-full.`, EXIT_USAGE);
  return { mode: mode as 'disable' | 'require' };
}

function stationPort(values: Values, url: URL): number {
  const text = values['station-port'] ?? (url.port || '5432');
  if (!/^[1-9][0-9]{0,4}$/.test(text) || Number(text) > 65_535) throw new CliError(`--station-port is a TCP port, not '${displaySafe(text, 20)}'.`, EXIT_USAGE);
  return Number(text);
}

const STREAM_NAMES: Record<DepotStream, string> = {
  batches: 'batches',
  authorisations: 'authorisations',
  step_events: 'step events',
  records: 'records',
  asset_tags: 'asset tags',
  label_jobs: 'label jobs',
  label_outcomes: 'label outcomes',
};

function statusText(status: StationDepotStatus): string {
  const { credentials, depot, refusal, backlog } = status;
  const lines = [`Depot: ${displaySafe(credentials.database)} on ${displaySafe(credentials.host)}:${credentials.port}, station ${credentials.station}`];
  if (refusal) lines.push(`REFUSED at ${refusal.at}: ${refusal.reason}`, "  Sync is stopped; fix the cause, then run 'lockstep depot join' again.");
  if (depot.reachable) {
    lines.push(`Depot holds: ${DEPOT_STREAMS.map((stream) => `${STREAM_NAMES[stream]} ${depot.heads[stream]}`).join(', ')} (head hash ${depot.heads.recordHash})`);
    // The comparison the sync makes before pushing, made here too: a station whose sync has not run yet still learns of it.
    if (depot.copyProblem) lines.push(`${depot.copyProblem.code}: ${describeDepotCopyProblem(depot.copyProblem)}`);
    else lines.push("Depot's copy: this station's own journal (the depot is not ahead of it and holds the same head record).");
  } else {
    lines.push(`${depot.refused ? 'Depot refuses this station' : 'Depot unreachable'}: ${depot.reason}`);
  }
  const total = DEPOT_STREAMS.reduce((sum, stream) => sum + backlog[stream], 0);
  lines.push(`Backlog: ${total}${total ? ` (${DEPOT_STREAMS.filter((stream) => backlog[stream]).map((stream) => `${STREAM_NAMES[stream]} ${backlog[stream]}`).join(', ')})` : ''}`);
  return `${lines.join('\n')}\n`;
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  // Operators have options of their own (and PINs on stdin): their own parser.
  if (argv[0] === 'operators') return runDepotOperators(argv.slice(1), io);
  if (argv[0] === 'offer-operators' || argv[0] === 'resolve-operator') return runDepotOffer(argv[0], argv.slice(1), io);
  const { values, positionals } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  const [action, ...rest] = positionals;
  const unexpected = action === 'add-station' || action === 'reissue-station' ? rest.slice(1) : rest;
  if (unexpected.length > 0) throw new CliError(`unexpected argument '${displaySafe(unexpected[0] ?? '', 40)}'.\nUsage: ${USAGE}`, EXIT_USAGE);
  switch (action) {
    case 'init': {
      const result = await initDepot(adminConnection(requireOption(values.url, '--url postgres://ADMIN@HOST:PORT/DATABASE')));
      io.out(result.from === result.to ? `The depot schema is already at version ${result.to}; nothing to do.\n` : `The depot schema is now at version ${result.to} (was ${result.from}).\n`);
      return 0;
    }
    case 'add-station': {
      const name = requireOption(rest[0], 'the station NAME');
      const urlText = requireOption(values.url, '--url postgres://ADMIN@HOST:PORT/DATABASE');
      const config = adminConnection(urlText);
      const out = requireOption(values.out, '--out FILE (where to write the credentials file)');
      const url = new URL(urlText);
      const credentials = await addStation(config, {
        name,
        keyFingerprint: requireOption(values['key-fingerprint'], '--key-fingerprint HEX'),
        host: values['station-host'] ?? url.hostname,
        port: stationPort(values, url),
        database: decodeURIComponent(url.pathname.slice(1)),
        tls: await tlsOf(values),
      });
      await writeCredentialsFile(out, credentials);
      io.out(`Station ${credentials.station} registered (role ${credentials.user}).\nCredentials (secret, mode 0600): ${displaySafe(out)}\n`);
      return 0;
    }
    case 'reissue-station': {
      const name = requireOption(rest[0], 'the station NAME');
      const urlText = requireOption(values.url, '--url postgres://ADMIN@HOST:PORT/DATABASE');
      const out = requireOption(values.out, '--out FILE (where to write the new credentials file)');
      const url = new URL(urlText);
      const tls = await tlsOf(values);
      const { credentials, reissue } = await reissueStation(adminConnection(urlText), {
        name,
        host: values['station-host'] ?? url.hostname,
        port: stationPort(values, url),
        database: decodeURIComponent(url.pathname.slice(1)),
        tls,
      });
      await writeCredentialsFile(out, credentials);
      const ended =
        reissue.sessionsEnded === null
          ? 'its open sessions could not be ended by this login (they end when they reconnect)'
          : `${reissue.sessionsEnded} open session(s) of the old one ended`;
      if (values.json) io.out(jsonLine({ station: credentials.station, role: credentials.user, credentials: out, ...reissue }));
      else {
        io.out(
          `Station ${credentials.station} re-issued (role ${credentials.user}) by ${displaySafe(reissue.reissuedBy)} at ${reissue.reissuedAt}: ` +
            `the old credentials no longer log in; ${ended}.\nNew credentials (secret, mode 0600): ${displaySafe(out)}\n` +
            `At the station: lockstep depot join --db FILE --credentials ${displaySafe(out)}\n`,
        );
      }
      return 0;
    }
    case 'export': {
      const format = requireOption(values.format, '--format jsonl|csv|pdf');
      if (!(DEPOT_EXPORT_CHOICES as readonly string[]).includes(format)) throw new CliError(`--format is jsonl, csv or pdf, not '${displaySafe(format, 20)}'.`, EXIT_USAGE);
      const station = values.station === undefined ? null : stationNameSchema.safeParse(values.station);
      if (station && !station.success) throw new CliError(`--station: ${station.error.issues[0]?.message ?? 'invalid'}`, EXIT_USAGE);
      const { since, until } = parseRecordFilter({ since: values.from, until: values.to });
      const out = requireOption(values.out, '--out FILE');
      const config = adminConnection(requireOption(values.url, '--url postgres://USER@HOST:PORT/DATABASE'));
      const filter = { from: since ?? null, to: until ?? null, station: station?.data ?? null };
      if (format === 'jsonl') {
        const summary = await exportDepot(config, filter, out);
        if (values.json) io.out(jsonLine({ path: out, format, ...summary }));
        else io.out(`Exported ${summary.records} records of ${summary.stations} station(s) to ${displaySafe(out)}; verify it with lockstep records verify.\n`);
        return 0;
      }
      const summary = await (format === 'csv' ? exportDepotCsv : exportDepotPdf)(config, filter, out);
      if (summary.warning !== undefined) io.err(`warning: ${displaySafe(summary.warning)}\n`);
      if (values.json) io.out(jsonLine({ path: out, format, ...summary }));
      else {
        const labels = summary.labelsPath === undefined ? `, with ${summary.labels} label(s),` : ` and their ${summary.labels} label(s) to ${displaySafe(summary.labelsPath)}`;
        io.out(
          `Exported ${summary.records} records of ${summary.stations} station(s) to ${displaySafe(out)}${labels} as ${format.toUpperCase()}, for reading; ` +
            'only the JSON Lines export (--format jsonl) can be verified with lockstep records verify.\n',
        );
      }
      return 0;
    }
    case 'demo': {
      const handsets = values.handsets ?? '6';
      if (!/^[1-9][0-9]?$/.test(handsets) || Number(handsets) > 32) throw new CliError(`--handsets is a whole number from 1 to 32, not '${displaySafe(handsets, 20)}'.`, EXIT_USAGE);
      return runDepotDemo({ handsets: Number(handsets), keep: values.keep }, io);
    }
    case 'tags': {
      const size = values['lease-size'];
      if (size !== undefined && !/^[1-9][0-9]{0,5}$/.test(size)) throw new CliError(`--lease-size is a whole number, not '${displaySafe(size, 20)}'.`, EXIT_USAGE);
      const settings = await depotTagSettings(adminConnection(requireOption(values.url, '--url postgres://ADMIN@HOST:PORT/DATABASE')), {
        pattern: values.pattern,
        leaseSize: size === undefined ? undefined : Number(size),
      });
      if (values.json) io.out(jsonLine(settings));
      else io.out(`Asset tags: ${settings.pattern}, leased ${settings.leaseSize} at a time (set ${settings.changedAt} by ${displaySafe(settings.changedBy)}).\n`);
      return 0;
    }
    case 'join': {
      const records = openCliRecords(values.db, { mustExist: true });
      const fingerprint = records.identity.fingerprint;
      const databasePath = records.databasePath;
      records.close();
      const joined = await joinDepot({ databasePath, credentialsPath: requireOption(values.credentials, '--credentials FILE'), stationFingerprint: fingerprint });
      if (values.json) io.out(jsonLine({ station: joined.credentials.station, pushed: joined.pushed, operators: joined.operators }));
      else {
        io.out(`Joined the depot as ${joined.credentials.station}; uploaded ${DEPOT_STREAMS.map((stream) => `${joined.pushed[stream]} ${STREAM_NAMES[stream]}`).join(', ')}.\n`);
        io.out(operatorOfferText(joined.operators, databasePath));
      }
      return 0;
    }
    case 'sync': {
      const records = openCliRecords(values.db, { mustExist: true });
      records.close();
      let finish = (): void => undefined;
      const finished = new Promise<void>((resolve) => (finish = resolve));
      const opened = await openStationSync(records.databasePath, {
        onState: (state) => {
          io.err(`depot: ${describeDepotState(state)}\n`);
          // A refusal stops the worker for good: nothing is left to wait for.
          if (state.kind === 'refused') finish();
        },
      });
      if (!opened) throw new CliError('this station has not joined a depot: run lockstep depot join --db FILE --credentials FILE first.');
      if (opened.refusedBefore) {
        await opened.sync.stop();
        throw new CliError(`the depot refused this station at ${opened.refusedBefore.at}: ${opened.refusedBefore.reason}\nFix the cause, then run 'lockstep depot join' again.`);
      }
      if (values.once) {
        try {
          const pushed = await opened.sync.drain();
          io.out(`Pushed ${DEPOT_STREAMS.map((stream) => `${pushed[stream]} ${STREAM_NAMES[stream]}`).join(', ')}.\n`);
        } finally {
          await opened.sync.stop();
        }
        return 0;
      }
      opened.sync.start();
      process.once('SIGINT', finish);
      process.once('SIGTERM', finish);
      await finished;
      await opened.sync.stop();
      return opened.sync.state().kind === 'refused' ? 1 : 0;
    }
    case 'status': {
      if (values.url) {
        const stations = await depotOverview(adminConnection(values.url));
        if (values.json) io.out(jsonLine(stations));
        else if (stations.length === 0) io.out('No stations yet: lockstep depot add-station NAME …\n');
        else io.out(overviewTable(stations));
        return 0;
      }
      const records = openCliRecords(values.db, { mustExist: true });
      const databasePath = records.databasePath;
      records.close();
      const status = await stationDepotStatus(databasePath);
      if (!status) throw new CliError('this station has not joined a depot (lockstep depot join --db FILE --credentials FILE).');
      const { password: _password, ...shown } = status.credentials;
      if (values.json) io.out(jsonLine({ ...status, credentials: shown }));
      else io.out(statusText(status));
      return status.refusal || (status.depot.reachable ? status.depot.copyProblem !== null : status.depot.refused) ? 1 : 0;
    }
    default:
      throw new CliError(`unknown action '${displaySafe(action ?? '', 40)}'.\nUsage: ${USAGE}`, EXIT_USAGE);
  }
}

export const depotCommand: CliCommand = {
  usage: USAGE,
  run: (argv, io) => asDepotCliErrors(() => run(argv, io)),
};
