// The station's label queue: one job at a time per printer, in the order asked, each after a status
// check (a Zebra's ~HS: paper out, head open, paused, buffer full stop the job before any byte is
// sent). A job's outcome is written to the records before its promise settles; a printer problem
// never throws, it makes the label unprinted, to be printed later. Provisioning only enqueues.
import type { LabelFormat, PrinterStatus } from '../../shared/labels.ts';
import { describeFailure } from '../../shared/describe-failure.ts';
import type { LabelIdentity, LabelPrinter } from './printers/index.ts';

export interface QueuedLabel {
  readonly jobId: number;
  readonly bytes: Buffer;
  readonly format: LabelFormat;
  readonly label: LabelIdentity;
}

export type JobOutcome = { readonly status: 'accepted'; readonly detail: string } | { readonly status: 'failed'; readonly detail: string; readonly printerStatus: PrinterStatus | null };

/** Writes a job's outcome to the records (label-store.ts finishJob). */
export type RecordOutcome = (jobId: number, status: 'accepted' | 'failed', detail: string) => void;

export class LabelPrintQueue {
  readonly #printer: LabelPrinter;
  readonly #record: RecordOutcome;
  readonly #onStatus: (status: PrinterStatus) => void;
  #tail: Promise<unknown> = Promise.resolve();
  #pending = 0;
  #lastStatus: PrinterStatus | null = null;

  constructor(printer: LabelPrinter, record: RecordOutcome, onStatus: (status: PrinterStatus) => void = () => undefined) {
    this.#printer = printer;
    this.#record = record;
    this.#onStatus = onStatus;
  }

  get printer(): LabelPrinter {
    return this.#printer;
  }

  /** The printer's state as the last check found it (null before the first). */
  get lastStatus(): PrinterStatus | null {
    return this.#lastStatus;
  }

  get pending(): number {
    return this.#pending;
  }

  /** Queues a job already recorded in the store; settles (never rejects) once its outcome is recorded. */
  submit(job: QueuedLabel): Promise<JobOutcome> {
    this.#pending += 1;
    const outcome = this.#tail.then(() => this.#print(job));
    this.#tail = outcome.finally(() => (this.#pending -= 1));
    return outcome;
  }

  /** Resolves when every job queued so far has its outcome. */
  async idle(): Promise<void> {
    await this.#tail;
  }

  /** Asks the printer for its state now and tells the station. */
  async checkStatus(): Promise<PrinterStatus> {
    const status = await this.#printer.status();
    this.#lastStatus = status;
    this.#onStatus(status);
    return status;
  }

  async #print(job: QueuedLabel): Promise<JobOutcome> {
    let outcome: JobOutcome;
    let status: PrinterStatus | null = null;
    try {
      status = await this.checkStatus();
      if (status.state === 'offline' || status.state === 'not-ready') {
        outcome = { status: 'failed', detail: `not sent: ${status.detail}`, printerStatus: status };
      } else {
        outcome = { status: 'accepted', detail: await this.#printer.send(job.bytes, job.format, job.label) };
      }
    } catch (error) {
      outcome = { status: 'failed', detail: describeFailure(error), printerStatus: status };
    }
    try {
      this.#record(job.jobId, outcome.status, outcome.detail);
    } catch (error) {
      // The printer's answer could not be written down: the label stays unprinted in the records.
      return { status: 'failed', detail: `${outcome.detail}; and the outcome could not be recorded: ${describeFailure(error)}`, printerStatus: status };
    }
    return outcome;
  }
}
