import { describeFailure } from '../../../shared/describe-failure.ts';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { stationPublicKeySchema, type ProvisioningRecord } from '../../../shared/records.ts';
import { displaySafe } from '../../../shared/untrusted.ts';
import { parseRecordFilter } from '../../records/record-filter.ts';
import { fuseReadbackText } from '../../records/record-text.ts';
import { rawPublicKey } from '../../records/station-identity.ts';
import { EXPORT_FORMATS, type ExportFormat, type StationRecords } from '../../records/station-records.ts';
import { checkSignedHeads } from '../../records/depot-signed-heads.ts';
import { isDepotExport, verifyDepotExport } from '../../records/verify-depot-export.ts';
import { verifyJsonlExport } from '../../records/verify-export.ts';
import type { CliCommand } from '../command.ts';
import { intactDepotExportText } from '../depot-state.ts';
import { CliError, EXIT_USAGE, jsonLine, type CliIo } from '../io.ts';
import { asCliErrors, openCliRecords, requireOption } from '../records-cli.ts';

const FILTERS = '[--batch ID] [--since TIME] [--until TIME] [--status provisioned|failed]';
const USAGE = `lockstep records list --db FILE ${FILTERS} [--limit N] [--json]
       lockstep records show --db FILE SEQ [--json]
       lockstep records export --db FILE --format csv|jsonl|pdf --out FILE ${FILTERS} [--json]
       lockstep records verify FILE.jsonl [--station-key PUB] [--json]
       lockstep records verify DEPOT.jsonl [--station-export FILE.jsonl]... [--json]   (a depot export: lockstep depot export)
       lockstep records station-key --db FILE [--json]
With --json standard output is one JSON line; messages for people go to standard error.
TIME is ISO 8601 (2026-11-24 or 2026-11-24T09:00:00Z); --since is inclusive, --until exclusive.
PUB is the station's public key: a PEM file, or the base64 key that station-key prints.
A PDF draws Chinese with a CJK font found on the system or named by LOCKSTEP_PDF_FONT, else shows it escaped and warns.`;

const OPTIONS = {
  db: { type: 'string' },
  batch: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  status: { type: 'string' },
  limit: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
  'station-key': { type: 'string' },
  'station-export': { type: 'string', multiple: true },
  json: { type: 'boolean', default: false },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function positiveInteger(value: string, name: string): number {
  if (!/^[1-9][0-9]{0,8}$/.test(value)) throw new CliError(`${name} is a positive whole number, not '${displaySafe(value, 40)}'.`, EXIT_USAGE);
  return Number(value);
}

function filterOf(values: Values) {
  return parseRecordFilter({
    batchId: values.batch === undefined ? undefined : positiveInteger(values.batch, '--batch'),
    since: values.since,
    until: values.until,
    status: values.status,
  });
}

const shown = (value: string | null, limit: number): string => (value === null ? '-' : displaySafe(value, limit));

function listLine(record: ProvisioningRecord): string {
  const code = 'failureCode' in record && record.failureCode !== null ? `[${record.failureCode}] ` : '';
  const failure = record.outcome === 'failed' ? `  ${record.failedStep ?? '?'}: ${code}${shown(record.failureReason, 60)}` : '';
  return `${String(record.seq).padStart(6)}  ${record.recordedAt}  batch ${record.batchId}  ${shown(record.serial, 32).padEnd(20)}  ${shown(record.imei, 20).padEnd(15)}  ${record.outcome}${failure}\n`;
}

function showRecord(records: StationRecords, record: ProvisioningRecord, io: CliIo): void {
  const fields: [string, string][] = [
    ['Record', String(record.seq)],
    ['Recorded', record.recordedAt],
    ['Batch', String(record.batchId)],
    ['Serial', shown(record.serial, 4096)],
    ['Product', shown(record.product, 4096)],
    ['HW revision', shown(record.hwRevision, 4096)],
    ['Bootloader', shown(record.bootloaderVersion, 4096)],
    ['IMEI', shown(record.imei, 4096)],
    ['Firmware', shown(record.firmwareVersion, 4096)],
    ['Bundle', `${shown(record.bundleVersion, 4096)} (${shown(record.bundleHash, 80)})`],
    ['Fuses burned', record.fusesBurned.map((fuse) => displaySafe(fuse, 64)).join(', ') || '-'],
    ['Fuse readback', fuseReadbackText(record.fuseReadback) || '-'],
    ['Bootloader locked', record.locked ? 'yes' : 'no'],
    ['Outcome', record.outcome],
    ['Failed step', record.failedStep ?? '-'],
    ['Failure code', 'failureCode' in record ? (record.failureCode ?? '-') : 'not recorded'],
    ['Failure reason', shown(record.failureReason, 4096)],
    ['Operator', shown(record.operatorId, 64)],
    ['Authorisation', record.authorisationId === null ? '-' : String(record.authorisationId)],
    ['Previous hash', record.prevHash],
    ['Hash', record.hash],
  ];
  for (const [name, value] of fields) io.out(`${`${name}:`.padEnd(19)}${value}\n`);
  const device = records.journal.findDevice(record.batchId, record.serial);
  if (!device) return;
  io.out('Step events:\n');
  for (const event of records.journal.stepEvents(device.id)) {
    const decision = event.authorisation === null ? '' : event.authorisation.authorised ? `  authorised by ${event.authorisation.authorisationId}` : `  NOT authorised: ${displaySafe(event.authorisation.reason, 200)}`;
    io.out(`  ${event.at}  ${event.step.padEnd(8)} ${event.status.padEnd(7)} ${shown(event.detail, 200)}${decision}\n`);
  }
}

/** `--station-key` as the raw base64 public key: from a PEM file, or given directly. */
function pinnedKeyOf(value: string): string {
  if (stationPublicKeySchema.safeParse(value).success) return value;
  if (!existsSync(value)) throw new CliError(`--station-key is a PEM public key file or the base64 key from 'lockstep records station-key'; '${displaySafe(value, 80)}' is neither.`, EXIT_USAGE);
  let key: KeyObject;
  try {
    key = createPublicKey(readFileSync(value));
  } catch (error) {
    const reason = describeFailure(error);
    throw new CliError(`--station-key ${displaySafe(value, 80)} is not a public key file: ${reason}.`, EXIT_USAGE);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new CliError(`--station-key ${displaySafe(value, 80)} is an ${key.asymmetricKeyType ?? 'unknown'} key, not the Ed25519 key that 'lockstep records station-key' prints.`, EXIT_USAGE);
  }
  return rawPublicKey(key).toString('base64');
}

async function verify(positionals: readonly string[], values: Values, io: CliIo): Promise<number> {
  const [file, ...extra] = positionals;
  if (file === undefined || extra.length > 0) throw new CliError(`name one JSON Lines export to verify.\nUsage: ${USAGE}`, EXIT_USAGE);
  if (await isDepotExport(file)) return verifyDepot(file, values, io);
  if (values['station-export'] !== undefined) throw new CliError('--station-export is for verifying a depot export (lockstep depot export); this file is not one.', EXIT_USAGE);
  const outcome = await verifyJsonlExport(file, values['station-key'] === undefined ? undefined : pinnedKeyOf(values['station-key']));
  if (values.json) io.out(jsonLine(outcome));
  if (!outcome.intact) {
    io.err(`NOT INTACT (${outcome.problem}): ${outcome.message}\n`);
    return 1;
  }
  if (values.json) return 0;
  const { head } = outcome;
  io.out(`Intact: ${outcome.lines} lines, ${outcome.records} records, chain head record ${head.headSeq} ${head.headHash}\n`);
  io.out(`Signed by station ${head.stationFingerprint}, exported ${head.exportedAt}\n`);
  if (!outcome.keyPinned) io.out('The signing key was taken from the file itself: pass --station-key PUB to check which station signed it.\n');
  return 0;
}

/**
 * A depot export: every station's chain as the depot held it (docs/records.md, "The depot export"),
 * and with --station-export each station's own signed export checked against its section.
 */
async function verifyDepot(file: string, values: Values, io: CliIo): Promise<number> {
  if (values['station-key'] !== undefined) {
    throw new CliError(
      "a depot export carries each station's key, checked against the fingerprint it was registered with; to pin a station's key, give its own signed export with --station-export FILE.",
      EXIT_USAGE,
    );
  }
  const outcome = await verifyDepotExport(file);
  const stationExports = values['station-export'] ?? [];
  const signed = outcome.intact && stationExports.length > 0 ? await checkSignedHeads(file, outcome, stationExports) : null;
  if (values.json) io.out(jsonLine(signed ? { ...outcome, signedHeads: signed } : outcome));
  const failed = !outcome.intact ? outcome : signed && !signed.intact ? signed : null;
  if (failed) {
    io.err(`NOT INTACT (${failed.problem}): ${failed.message}\n`);
    return 1;
  }
  if (values.json || !outcome.intact) return 0;
  io.out(intactDepotExportText(outcome));
  for (const check of signed?.intact ? signed.checks : []) {
    const agreed =
      check.agreedUpTo === 0
        ? 'shares no record with the depot export: it proves nothing of this section'
        : `agrees with the depot's chain up to record ${check.agreedUpTo}, so the station signed it up to there`;
    io.out(`  ${check.station}: its own export ${displaySafe(check.file)} (key ${check.keyFingerprint}, public key ${check.publicKey}, signed head record ${check.signedHeadSeq}) ${agreed}; the depot held up to record ${check.depotHeadSeq}.\n`);
  }
  return 0;
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  const [action, ...rest] = positionals;
  if (action === 'verify') return verify(rest, values, io);
  if (action === undefined || !['list', 'show', 'export', 'station-key'].includes(action)) {
    throw new CliError(`say what to do: list, show, export, verify or station-key.\nUsage: ${USAGE}`, EXIT_USAGE);
  }
  const records = openCliRecords(values.db, { mustExist: true });
  try {
    if (action === 'list') {
      const found = records.log.latest(filterOf(values), values.limit === undefined ? 50 : positiveInteger(values.limit, '--limit'));
      if (values.json) io.out(jsonLine(found));
      else if (found.length === 0) io.out('No records match.\n');
      else for (const record of found) io.out(listLine(record));
    } else if (action === 'show') {
      const record = records.log.get(positiveInteger(rest[0] ?? '', 'SEQ (the record number)'));
      if (!record) throw new CliError(`there is no record ${rest[0]}; see lockstep records list.`);
      if (values.json) io.out(jsonLine(record));
      else showRecord(records, record, io);
    } else if (action === 'export') {
      const format = requireOption(values.format, '--format csv|jsonl|pdf');
      if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw new CliError(`--format is csv, jsonl or pdf, not '${displaySafe(format, 20)}'.`, EXIT_USAGE);
      const out = requireOption(values.out, '--out FILE');
      const summary = await records.export(format as ExportFormat, filterOf(values), out);
      if (summary.warning !== undefined) io.err(`warning: ${displaySafe(summary.warning)}\n`);
      if (values.json) io.out(jsonLine({ out, format, ...summary }));
      else io.out(`Wrote ${summary.records} records to ${displaySafe(out)} (chain head record ${summary.headSeq} ${summary.headHash}).\n`);
    } else {
      const { publicKeyPem, publicKey, fingerprint } = records.identity;
      if (values.json) io.out(jsonLine({ publicKeyPem, publicKey, fingerprint }));
      else io.out(`${records.identity.publicKeyPem.trimEnd()}\nBase64: ${records.identity.publicKey}\nFingerprint (SHA-256): ${records.identity.fingerprint}\n`);
    }
    return 0;
  } finally {
    records.close();
  }
}

export const recordsCommand: CliCommand = {
  usage: USAGE,
  run: (argv, io) => asCliErrors(() => run(argv, io)),
};
