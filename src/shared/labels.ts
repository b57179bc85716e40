// Asset labels as the front ends see them: the template grammar (resources/labels, a depot's own
// folder), what a label says, where it is printed and what a printer reports. Types, zod schemas and
// pure grammars only; rendering and printing live in src/main/labels.
import { z } from 'zod';

export const LABEL_FORMATS = ['zpl', 'pdf', 'png'] as const;
export type LabelFormat = (typeof LABEL_FORMATS)[number];

/**
 * Why a provisioned handset's label is unprinted, as its label step journals it and its snapshot shows
 * it: the station has no printer (`no-printer`, nothing was sent), or a printer did not take the label
 * in time or refused it (`not-taken`). Either way the records list it as unprinted until a printer takes it.
 */
export const UNPRINTED_CAUSES = ['no-printer', 'not-taken'] as const;
export type UnprintedCause = (typeof UNPRINTED_CAUSES)[number];

/** The text fields a template may place; each is a value of the provisioning record. */
export const LABEL_TEXT_FIELDS = ['serial', 'imei', 'model', 'imageVersion', 'date', 'assetTag'] as const;
export type LabelTextField = (typeof LABEL_TEXT_FIELDS)[number];

/** Template names double as file names and CLI arguments: short, lower-case, inert everywhere. */
export const TEMPLATE_NAME = /^[a-z0-9][a-z0-9._-]{0,47}$/;

const dots = z.int().min(0).max(4800);

/**
 * One label layout for one stock size at one resolution, every position in printer dots from the
 * top left corner. Barcodes keep their quiet zones inside the stock (checked when the label is laid
 * out, since a barcode's width depends on its data).
 */
export const labelTemplateSchema = z
  .strictObject({
    name: z.string().regex(TEMPLATE_NAME, 'a template name: 1-48 of a-z 0-9 . _ -, starting with a letter or digit'),
    description: z.string().regex(/^[\x20-\x7e]{0,200}$/, 'printable ASCII, at most 200 characters').default(''),
    dpi: z.union([z.literal(203), z.literal(300)], { error: 'dpi is 203 or 300' }),
    widthDots: z.int().min(100).max(2400),
    heightDots: z.int().min(100).max(4800),
    /** Code 128 of the asset tag. `module` is the narrow bar in dots; quiet zones are 10 modules. */
    barcode: z.strictObject({ x: dots, y: dots, height: z.int().min(20).max(1200), module: z.int().min(1).max(10) }),
    /**
     * QR code of the compact payload (tag, serial, IMEI, record hash prefix); quiet zone 4 modules.
     * Error correction M survives a scuffed corner; small stock may need L to fit a long payload.
     */
    matrix: z.strictObject({ x: dots, y: dots, module: z.int().min(2).max(20), ecLevel: z.enum(['L', 'M', 'Q', 'H']).default('M') }),
    text: z
      .array(
        z.strictObject({
          field: z.enum(LABEL_TEXT_FIELDS),
          /** Printed before the value (`S/N `); plain ASCII so every backend's font has it. */
          caption: z.string().regex(/^[A-Za-z0-9 .:/#-]{0,12}$/, 'a caption: 0-12 of A-Z a-z 0-9 space . : / # -'),
          x: dots,
          y: dots,
          /** Character height in dots. */
          height: z.int().min(10).max(400),
          /** The width the text may take; longer text is shortened with `...`, never overprinted. */
          width: z.int().min(20).max(2400),
        }),
      )
      .min(1)
      .max(12),
  })
  .superRefine((template, context) => {
    const outside = (path: (string | number)[], right: number, bottom: number) => {
      if (right > template.widthDots || bottom > template.heightDots) {
        context.addIssue({ code: 'custom', path, message: `reaches ${right},${bottom}, outside the ${template.widthDots}x${template.heightDots}-dot stock` });
      }
    };
    template.text.forEach((text, index) => outside(['text', index], text.x + text.width, text.y + text.height));
    outside(['barcode'], template.barcode.x, template.barcode.y + template.barcode.height);
    const quiet = 10 * template.barcode.module;
    if (template.barcode.x < quiet) context.addIssue({ code: 'custom', path: ['barcode', 'x'], message: `leaves less than the 10-module quiet zone (${quiet} dots) on the left` });
    // At least 10 dots from the top too: ZPL places a QR code 10 dots below its field origin.
    if (template.matrix.x < 4 * template.matrix.module || template.matrix.y < Math.max(10, 4 * template.matrix.module)) {
      context.addIssue({ code: 'custom', path: ['matrix'], message: `leaves less than the 4-module quiet zone (${4 * template.matrix.module} dots, and at least 10 from the top) above or left` });
    }
  });
export type LabelTemplate = z.infer<typeof labelTemplateSchema>;

/** What one label says, taken from a provisioning record; strings exactly as the record holds them. */
export interface LabelContent {
  readonly recordSeq: number;
  readonly assetTag: string;
  readonly serial: string;
  readonly imei: string | null;
  readonly model: string;
  readonly imageVersion: string;
  /** The record's commit date, YYYY-MM-DD (UTC). */
  readonly date: string;
  /** The 2-D code's data: see docs/labels.md ("The 2-D code"). */
  readonly matrixPayload: string;
}

/** Where a label goes: a Zebra on raw TCP, a CUPS queue, or a file. */
export type PrinterAddress =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'cups'; readonly queue: string }
  | { readonly kind: 'file'; readonly path: string };

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*|\[[0-9A-Fa-f:.]{2,45}\])$/;
/** CUPS queue names: printable, no space, slash or hash (cupsd refuses those), at most 127. */
const CUPS_QUEUE = /^[A-Za-z0-9_.-]{1,127}$/;

/** `tcp://HOST:PORT`, `cups:NAME` or `file:PATH`. */
export function parsePrinterAddress(text: string): PrinterAddress | { readonly problem: string } {
  const grammar = 'a printer is tcp://HOST:9100, cups:QUEUE or file:PATH';
  if (text.length > 4096) return { problem: `${grammar}; this one is over 4096 characters` };
  const tcp = /^tcp:\/\/(.+):(\d{1,5})$/.exec(text);
  if (tcp) {
    const port = Number(tcp[2]);
    if (!HOST.test(tcp[1] ?? '') || port < 1 || port > 65535) return { problem: `${grammar}; the host or port of this tcp:// address is not valid` };
    return { kind: 'tcp', host: (tcp[1] ?? '').replace(/^\[(.*)\]$/, '$1'), port };
  }
  if (text.startsWith('cups:')) {
    const queue = text.slice('cups:'.length);
    return CUPS_QUEUE.test(queue) ? { kind: 'cups', queue } : { problem: `${grammar}; a CUPS queue name is 1-127 of A-Z a-z 0-9 _ . -` };
  }
  if (text.startsWith('file:')) {
    const path = text.slice('file:'.length);
    // eslint-disable-next-line no-control-regex -- control bytes in a path are exactly what is refused
    return path.length > 0 && !/[\x00-\x1f\x7f]/.test(path) ? { kind: 'file', path } : { problem: `${grammar}; a file path without control characters` };
  }
  return { problem: grammar };
}

export function formatPrinterAddress(address: PrinterAddress): string {
  if (address.kind === 'tcp') return `tcp://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
  return address.kind === 'cups' ? `cups:${address.queue}` : `file:${address.path}`;
}

export const printerAddressSchema = z.string().superRefine((text, context) => {
  const parsed = parsePrinterAddress(text);
  if ('problem' in parsed) context.addIssue({ code: 'custom', message: parsed.problem });
});

/** The printer that labels each provisioned handset, as station settings name it. */
export const labelPrinterSchema = z.strictObject({
  address: printerAddressSchema,
  /** ZPL for Zebra-compatible printers (tcp://, cups: raw queues), PDF for office printers, PNG for files. */
  format: z.enum(LABEL_FORMATS).default('zpl'),
  template: z.string().regex(TEMPLATE_NAME, 'a template name from resources/labels or the depot folder'),
});
export type LabelPrinterSettings = z.infer<typeof labelPrinterSchema>;

/**
 * A batch's label before the batch starts (`labels.batchPreview`): the tag pattern the operator typed and
 * the bundle's product and version; the station adds the date and SAMPLE values for the handset's own.
 */
export const batchPreviewSchema = z.strictObject({
  assetTagPattern: z.string().min(1).max(64),
  product: z.string().min(1).max(128),
  bundleVersion: z.string().min(1).max(128),
});
export type BatchPreviewRequest = z.infer<typeof batchPreviewSchema>;

/** Conditions a Zebra reports in its `~HS` answer that stop it printing. */
export const PRINTER_PROBLEMS = ['paper-out', 'head-open', 'paused', 'buffer-full', 'ribbon-out', 'over-temperature', 'under-temperature', 'corrupt-ram'] as const;
export type PrinterProblem = (typeof PRINTER_PROBLEMS)[number];

/** A printer's state as the station shows it. */
export type PrinterStatus =
  | { readonly state: 'ready'; readonly address: string; readonly formatsInBuffer: number; readonly detail: string }
  | { readonly state: 'not-ready'; readonly address: string; readonly problems: readonly PrinterProblem[]; readonly detail: string }
  | { readonly state: 'offline'; readonly address: string; readonly detail: string }
  /** CUPS and files do not report a Zebra's conditions: only whether they accept jobs. */
  | { readonly state: 'unknown'; readonly address: string; readonly detail: string };

/** One label job of a record as the history shows it: the first print or a reprint, and its outcome. */
export interface LabelJobSummary {
  readonly id: number;
  readonly recordSeq: number;
  readonly kind: 'first' | 'reprint';
  readonly printer: string;
  readonly format: LabelFormat;
  readonly template: string;
  readonly operatorId: string;
  readonly reason: string | null;
  readonly requestedAt: string;
  /** null while the job has no outcome yet (queued, or the station stopped before it finished). */
  readonly outcome: { readonly status: 'accepted' | 'failed'; readonly detail: string | null; readonly at: string } | null;
}
