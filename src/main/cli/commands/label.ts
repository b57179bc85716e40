// `lockstep label`: asset labels from the records (docs/labels.md). render writes a label file,
// preview a PNG of it as printed (for ZPL, rendered from the ZPL bytes), print queues it on a
// printer and waits for the answer, recording a reprint with its operator and reason; status asks
// a printer for its state; unprinted and history read the label jobs in the records.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { LABEL_FORMATS, parsePrinterAddress, type LabelFormat, type PrinterStatus } from '../../../shared/labels.ts';
import { displaySafe } from '../../../shared/untrusted.ts';
import { LabelError } from '../../labels/errors.ts';
import { writeLabelFile } from '../../labels/printers/file.ts';
import { openPrinter } from '../../labels/printers/index.ts';
import type { StationLabels } from '../../labels/station-labels.ts';
import { RecordsError } from '../../records/errors.ts';
import { openStationLabels } from '../../station/label-setup.ts';
import { SettingsError } from '../../station/settings.ts';
import type { CliCommand } from '../command.ts';
import { CliError, EXIT_USAGE, failureText, jsonLine, type CliIo } from '../io.ts';
import { createPinSource, refusePinInArgv } from '../pin-prompt.ts';
import { openCliRecords, requireOption } from '../records-cli.ts';

const USAGE = `lockstep label render --db FILE --serial S --format zpl|pdf|png --out FILE [--template NAME] [--json]
       lockstep label preview --db FILE --serial S --out FILE.png [--format zpl|pdf|png] [--template NAME] [--json]
       lockstep label print --db FILE --serial S --printer tcp://HOST:9100|cups:NAME|file:PATH --operator ID
                            [--format zpl|pdf|png] [--template NAME] [--reason TEXT] [--timeout MS] [--json]
       lockstep label status --printer tcp://HOST:9100|cups:NAME|file:PATH [--timeout MS] [--json]
       lockstep label unprinted --db FILE [--json]
       lockstep label history --db FILE --serial S [--json]
Templates: resources/labels and the labels/ folder beside the database (or --data DIR); the default is the
station printer's (station-settings.json labelPrinter), else 4x2-203. print asks for the operator's PIN
(LOCKSTEP_OPERATOR_PIN, a prompt, or stdin); a label printed before needs --reason. Exit 0 printed or ready,
1 not printed (the label stays unprinted) or printer not ready, 64 a command line that cannot be parsed.
MS: how long each printer step (connect, status answer, job) may take; 5000 by default. With --json standard output
is one JSON line; messages for people go to standard error.`;

const OPTIONS = {
  db: { type: 'string' },
  data: { type: 'string' },
  serial: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
  template: { type: 'string' },
  printer: { type: 'string' },
  operator: { type: 'string' },
  reason: { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

const DEFAULT_TEMPLATE = '4x2-203';

function formatOf(value: string | undefined, fallback: LabelFormat): LabelFormat {
  if (value === undefined) return fallback;
  if (!(LABEL_FORMATS as readonly string[]).includes(value)) throw new CliError(`--format is zpl, pdf or png, not '${displaySafe(value, 20)}'.`, EXIT_USAGE);
  return value as LabelFormat;
}

function timeoutOf(value: string | undefined): number {
  if (value === undefined) return 5000;
  if (!/^[1-9][0-9]{2,5}$/.test(value)) throw new CliError(`--timeout is milliseconds, 100 to 999999, not '${displaySafe(value, 20)}'.`, EXIT_USAGE);
  return Number(value);
}

/** The station's labels: its printer and templates from the settings in `settingsDir`, over the database named by --db. */
function openLabels(values: Values, database: string, settingsDir: string): Promise<StationLabels> {
  return openStationLabels({ databasePath: resolve(database), settingsDir, printerOptions: { timeoutMs: timeoutOf(values.timeout) } });
}

function statusLine(status: PrinterStatus): string {
  return `${displaySafe(status.address)}: ${status.state}${status.state === 'not-ready' ? ` (${status.problems.join(', ')})` : ''} — ${displaySafe(status.detail, 400)}\n`;
}

async function status(values: Values, io: CliIo): Promise<number> {
  const text = requireOption(values.printer, '--printer tcp://HOST:9100|cups:NAME|file:PATH');
  const address = parsePrinterAddress(text);
  if ('problem' in address) throw new CliError(`--printer: ${address.problem}.`, EXIT_USAGE);
  const found = await openPrinter(address, { timeoutMs: timeoutOf(values.timeout) }).status();
  io.out(values.json ? jsonLine(found) : statusLine(found));
  return found.state === 'ready' || found.state === 'unknown' ? 0 : 1;
}

async function pinFor(operator: string): Promise<{ id: string; pin: string }> {
  const fromEnv = process.env.LOCKSTEP_OPERATOR_PIN;
  return { id: operator, pin: fromEnv !== undefined && fromEnv !== '' ? fromEnv : await createPinSource().read(`PIN for ${displaySafe(operator, 64)}: `) };
}

async function run(action: string, values: Values, io: CliIo): Promise<number> {
  if (action === 'status') return status(values, io);
  const database = requireOption(values.db, '--db FILE (the station records database)');
  const settingsDir = resolve(values.data ?? dirname(database));
  const { printer, service } = await openLabels(values, database, settingsDir);
  if (action === 'unprinted') {
    if (!existsSync(database)) throw new CliError(`there is no records database at ${displaySafe(database)}; check --db.`);
    const unprinted = service.unprinted();
    if (values.json) io.out(jsonLine(unprinted));
    else if (unprinted.length === 0) io.out('Every tagged handset has a printed label.\n');
    else for (const entry of unprinted) io.out(`${String(entry.recordSeq).padStart(6)}  ${entry.assetTag}  ${displaySafe(entry.serial, 64).padEnd(20)}  ${entry.recordedAt}  ${entry.lastFailure === null ? 'never answered' : displaySafe(entry.lastFailure, 160)}\n`);
    return 0;
  }
  const serial = requireOption(values.serial, '--serial S');
  if (!existsSync(database)) throw new CliError(`there is no records database at ${displaySafe(database)}; check --db.`);
  if (action === 'history') {
    const jobs = service.history(serial);
    if (values.json) io.out(jsonLine(jobs));
    else if (jobs.length === 0) io.out('No label was ever printed for this handset.\n');
    for (const job of values.json ? [] : jobs) {
      const outcome = job.outcome ? `${job.outcome.status} ${job.outcome.at}: ${displaySafe(job.outcome.detail ?? '', 160)}` : 'no answer recorded';
      io.out(`job ${job.id}  ${job.requestedAt}  ${job.kind}  ${displaySafe(job.printer, 80)}  ${job.format}/${job.template}  by ${displaySafe(job.operatorId, 64)}${job.reason === null ? '' : `  reason: ${displaySafe(job.reason, 200)}`}\n    ${outcome}\n`);
    }
    return 0;
  }
  const template = values.template ?? printer?.template ?? DEFAULT_TEMPLATE;
  const record = service.recordBySerial(serial);
  if (action === 'render' || action === 'preview') {
    const out = requireOption(values.out, '--out FILE');
    if (action === 'render' && values.format === undefined) throw new CliError('missing --format zpl|pdf|png.', EXIT_USAGE);
    const format = formatOf(values.format, printer?.format ?? 'zpl');
    const bytes = action === 'render' ? await service.render(record, template, format) : await service.preview(record, template, format);
    const written = await writeLabelFile(out, bytes);
    const assetTag = 'assetTag' in record ? record.assetTag : null;
    if (values.json) io.out(jsonLine({ file: written, kind: action === 'preview' ? 'preview' : 'label', format, template, recordSeq: record.seq, assetTag }));
    else io.out(`${written} (${action === 'preview' ? `preview of the ${format} label` : format}, template ${template}, asset tag ${assetTag ?? '-'})\n`);
    return 0;
  }
  if (action === 'print') {
    const target = values.printer ?? printer?.address;
    if (target === undefined) throw new CliError('missing --printer tcp://HOST:9100|cups:NAME|file:PATH (the station settings name no labelPrinter).', EXIT_USAGE);
    const address = parsePrinterAddress(target);
    if ('problem' in address) throw new CliError(`--printer: ${address.problem}.`, EXIT_USAGE);
    const format = formatOf(values.format, address.kind === 'tcp' ? 'zpl' : (printer?.format ?? 'zpl'));
    const records = openCliRecords(database, { mustExist: true });
    let operatorId: string;
    try {
      operatorId = records.operators.authenticate(await pinFor(requireOption(values.operator, '--operator ID'))).id;
    } finally {
      records.close();
    }
    const queued = await service.print({ record, printer: { address: target, format, template }, operatorId, reason: values.reason ?? null });
    const outcome = await queued.outcome;
    if (values.json) io.out(jsonLine({ job: { ...queued.job, outcome: { status: outcome.status, detail: outcome.detail } } }));
    else if (outcome.status === 'accepted') io.out(`Printed the label of ${'assetTag' in record ? record.assetTag : record.seq} (job ${queued.job.id}, ${queued.job.kind}): ${displaySafe(outcome.detail, 300)}\n`);
    if (outcome.status === 'accepted') return 0;
    io.err(`The label of ${displaySafe(serial, 64)} is NOT printed (job ${queued.job.id}): ${displaySafe(outcome.detail, 400)}. It stays unprinted; print it again with --reason once the printer is ready.\n`);
    return 1;
  }
  throw new CliError(`unknown action '${displaySafe(action, 40)}'.\nUsage: ${USAGE}`, EXIT_USAGE);
}

export const labelCommand: CliCommand = {
  usage: USAGE,
  async run(argv, io) {
    refusePinInArgv(argv);
    const { values, positionals } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
    const [action, ...extra] = positionals;
    if (action === undefined || extra.length > 0) throw new CliError(`say what to do: render, preview, print, status, unprinted or history.\nUsage: ${USAGE}`, EXIT_USAGE);
    try {
      return await run(action, values, io);
    } catch (error) {
      if (error instanceof LabelError || error instanceof RecordsError || error instanceof SettingsError) throw new CliError(failureText(error));
      throw error;
    }
  },
};
