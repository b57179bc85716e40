// One interface over the three kinds of printer a station names (`tcp://`, `cups:`, `file:`).
import { formatPrinterAddress, type LabelFormat, type PrinterAddress, type PrinterStatus } from '../../../shared/labels.ts';
import { cupsStatus, printCups } from './cups.ts';
import { fileStatus, writeLabelFile } from './file.ts';
import { sendRaw, zebraStatus } from './tcp.ts';

export interface LabelPrinter {
  readonly address: string;
  /** The formats this printer takes: a raw Zebra only ZPL. */
  readonly formats: readonly LabelFormat[];
  status(): Promise<PrinterStatus>;
  /** Resolves with what the printer said once it accepted the job; rejects with a sentence otherwise. */
  send(bytes: Buffer, format: LabelFormat, label: LabelIdentity): Promise<string>;
}

/** What names a job: a title for CUPS, the asset tag for a file path's `{tag}`. */
export interface LabelIdentity {
  readonly title: string;
  readonly assetTag: string;
}

/** `{tag}` in a file printer's path, so each label gets a file of its own (a hot folder). */
const TAG_PLACEHOLDER = '{tag}';

export interface PrinterOptions {
  /** Per step: connect, status answer, job accepted. */
  readonly timeoutMs?: number;
  readonly cupsServer?: string;
}

export const DEFAULT_PRINTER_TIMEOUT_MS = 5000;

export function openPrinter(address: PrinterAddress, options: PrinterOptions = {}): LabelPrinter {
  const timeoutMs = options.timeoutMs ?? DEFAULT_PRINTER_TIMEOUT_MS;
  const text = formatPrinterAddress(address);
  if (address.kind === 'tcp') {
    const target = { host: address.host, port: address.port, timeoutMs };
    return { address: text, formats: ['zpl'], status: () => zebraStatus(target), send: (bytes) => sendRaw(target, bytes) };
  }
  if (address.kind === 'cups') {
    const target = { queue: address.queue, timeoutMs, ...(options.cupsServer ? { server: options.cupsServer } : {}) };
    return { address: text, formats: ['zpl', 'pdf', 'png'], status: () => cupsStatus(target), send: (bytes, format, label) => printCups(target, bytes, format, label.title) };
  }
  return {
    address: text,
    formats: ['zpl', 'pdf', 'png'],
    status: () => fileStatus(address.path),
    // A tag may hold '/', which must not make a folder of it.
    send: (bytes, _format, label) => writeLabelFile(address.path.replaceAll(TAG_PLACEHOLDER, label.assetTag.replace(/[^A-Za-z0-9_.-]/g, '_')), bytes),
  };
}
