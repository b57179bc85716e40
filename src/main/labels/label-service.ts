// The labels subsystem as the front ends call it: make a record's label, queue it on a printer,
// reprint from history, preview, list what is unprinted. The pipeline's label step, the CLI and the
// station API all go through here, so a label is made, recorded and printed one way.
import { parsePrinterAddress, type LabelFormat, type LabelJobSummary, type LabelPrinterSettings, type PrinterStatus } from '../../shared/labels.ts';
import type { ProvisioningRecord } from '../../shared/records.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import { LabelError } from './errors.ts';
import { withLabelStore, type UnprintedLabel } from './label-store.ts';
import { LabelPrintQueue, type JobOutcome } from './print-queue.ts';
import { openPrinter, type PrinterOptions } from './printers/index.ts';
import { renderLabel, renderLabelPreview } from './render.ts';
import type { TemplateSet } from './templates.ts';

export interface LabelServiceOptions {
  readonly databasePath: string;
  readonly templates: TemplateSet;
  readonly printerOptions?: PrinterOptions;
  /** Every printer state a check finds (before each job), for the station's display. */
  readonly onPrinterStatus?: (status: PrinterStatus) => void;
  readonly now?: () => Date;
}

export interface QueuedJob {
  readonly job: LabelJobSummary;
  /** Settles once the printer's answer is in the records; never rejects. */
  readonly outcome: Promise<JobOutcome>;
}

export interface PrintRequest {
  readonly record: ProvisioningRecord;
  readonly printer: LabelPrinterSettings;
  readonly operatorId: string;
  /** Needed for a reprint: any job after the record's first. */
  readonly reason?: string | null;
}

export function createLabelService(options: LabelServiceOptions) {
  const queues = new Map<string, LabelPrintQueue>();
  const store = <T>(work: Parameters<typeof withLabelStore<T>>[1]): T => withLabelStore(options.databasePath, work, options.now);

  function queueFor(settings: LabelPrinterSettings): LabelPrintQueue {
    const address = parsePrinterAddress(settings.address);
    if ('problem' in address) throw new LabelError('PRINTER_FAILED', address.problem);
    const printer = openPrinter(address, options.printerOptions);
    let queue = queues.get(printer.address);
    if (!queue) {
      queue = new LabelPrintQueue(printer, (jobId, status, detail) => store((labels) => labels.finishJob(jobId, status, detail)), options.onPrinterStatus);
      queues.set(printer.address, queue);
    }
    if (!queue.printer.formats.includes(settings.format)) {
      throw new LabelError('PRINTER_FAILED', `${queue.printer.address} takes ${queue.printer.formats.join(', ')}, not ${settings.format}; set the printer's format to zpl.`);
    }
    return queue;
  }

  function requireRecord(serial: string): ProvisioningRecord {
    const record = store((labels) => labels.recordBySerial(serial));
    if (!record) throw new LabelError('NO_RECORD', `there is no provisioned record for serial ${displaySafe(serial, 64)}; see lockstep records list.`);
    return record;
  }

  /** Makes the label first (a label that cannot be made is no job), then records the job, then queues it. */
  async function print(request: PrintRequest): Promise<QueuedJob> {
    const queue = queueFor(request.printer);
    const template = options.templates.get(request.printer.template);
    const bytes = await renderLabel(request.record, template, request.printer.format);
    const job = store((labels) =>
      labels.createJob({
        recordSeq: request.record.seq,
        printer: queue.printer.address,
        format: request.printer.format,
        template: template.name,
        operatorId: request.operatorId,
        reason: request.reason ?? null,
      }),
    );
    // renderLabel refused a record without a tag, so the tag is there.
    const assetTag = 'assetTag' in request.record && request.record.assetTag !== null ? request.record.assetTag : String(request.record.seq);
    return { job, outcome: queue.submit({ jobId: job.id, bytes, format: request.printer.format, label: { title: `Lockstep asset label ${assetTag}`, assetTag } }) };
  }

  return {
    print,

    /** Prints the label of the newest provisioned record of `serial` again, recorded with who and why. */
    reprint(serial: string, printer: LabelPrinterSettings, operatorId: string, reason: string): Promise<QueuedJob> {
      return print({ record: requireRecord(serial), printer, operatorId, reason });
    },

    recordBySerial: requireRecord,

    /** A PNG of the label as it will print; for ZPL rendered from the ZPL bytes. */
    preview(record: ProvisioningRecord, templateName: string, format: LabelFormat = 'zpl'): Promise<Buffer> {
      return renderLabelPreview(record, options.templates.get(templateName), format);
    },

    render(record: ProvisioningRecord, templateName: string, format: LabelFormat): Promise<Buffer> {
      return renderLabel(record, options.templates.get(templateName), format);
    },

    history(serial: string): LabelJobSummary[] {
      const record = requireRecord(serial);
      return store((labels) => labels.jobs(record.seq));
    },

    isPrinted(recordSeq: number): boolean {
      return store((labels) => labels.isPrinted(recordSeq));
    },

    jobs(recordSeq: number): LabelJobSummary[] {
      return store((labels) => labels.jobs(recordSeq));
    },

    unprinted(limit?: number): UnprintedLabel[] {
      return store((labels) => labels.unprinted(limit));
    },

    printerStatus(printer: LabelPrinterSettings): Promise<PrinterStatus> {
      return queueFor(printer).checkStatus();
    },

    /** Resolves once every queued job has its outcome recorded. */
    async idle(): Promise<void> {
      await Promise.all([...queues.values()].map((queue) => queue.idle()));
    },
  };
}

export type LabelService = ReturnType<typeof createLabelService>;
