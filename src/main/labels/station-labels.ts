// The labels of one station: the printer named in its settings (labelPrinter), the shipped
// templates plus the depot's `labels/` folder, and the calls the front ends make (the pipeline's
// label step, reprint from history, previews, the unprinted list, the printer's state). A station
// without a printer labels nothing and says so; a printer naming an unknown template stops a batch
// from starting, before any handset is touched, rather than leaving every label unprinted.
import { dirname, join } from 'node:path';
import type { LabelFormat, LabelJobSummary, LabelPrinterSettings, PrinterStatus } from '../../shared/labels.ts';
import { NO_PRINTER, type LabelStep } from '../pipeline/labels.ts';
import { loadSettings } from '../station/settings.ts';
import { LabelError } from './errors.ts';
import { createLabelService, type LabelService, type QueuedJob } from './label-service.ts';
import { createLabelStep } from './label-step.ts';
import type { UnprintedLabel } from './label-store.ts';
import { renderBatchPreview, type BatchPreviewInput } from './render.ts';
import { DEPOT_TEMPLATES_DIR, loadLabelTemplates, type TemplateSet } from './templates.ts';

export interface StationLabelOptions {
  readonly databasePath: string;
  /** The folder holding station-settings.json and the depot's labels/ folder; default: the database's. */
  readonly settingsDir?: string;
  /** Each printer state found (before the batch and before every job), for the station's display. */
  readonly onPrinterStatus?: (status: PrinterStatus) => void;
}

/** When nothing else names one: the larger stock at the common resolution. */
export const FALLBACK_TEMPLATE = '4x2-203';

export interface StationLabels {
  readonly printer: LabelPrinterSettings | null;
  readonly templates: TemplateSet;
  readonly service: LabelService;
  /** The pipeline's label step for this station's printer. */
  labelStep(): LabelStep;
  /** Prints the handset's label again, recorded as a reprint by `operatorId` for `reason`. */
  reprint(serial: string, operatorId: string, reason: string, printer?: LabelPrinterSettings): Promise<QueuedJob>;
  /** PNG of the handset's label as the station printer prints it (for ZPL, from the ZPL bytes). */
  preview(serial: string, template?: string, format?: LabelFormat): Promise<Buffer>;
  /** PNG of a batch's label before it starts, with sample values for the handset's own. */
  batchPreview(input: BatchPreviewInput, template?: string, format?: LabelFormat): Promise<Buffer>;
  history(serial: string): LabelJobSummary[];
  unprinted(limit?: number): UnprintedLabel[];
  /** The station printer's state now (~HS for a Zebra). */
  printerStatus(): Promise<PrinterStatus>;
}

export async function openStationLabels(options: StationLabelOptions): Promise<StationLabels> {
  const settingsDir = options.settingsDir ?? dirname(options.databasePath);
  const { labelPrinter: printer } = await loadSettings(settingsDir);
  const templates = await loadLabelTemplates({ depotDir: join(settingsDir, DEPOT_TEMPLATES_DIR) });
  if (printer) templates.get(printer.template);
  const service = createLabelService({ databasePath: options.databasePath, templates, ...(options.onPrinterStatus ? { onPrinterStatus: options.onPrinterStatus } : {}) });
  const requirePrinter = (): LabelPrinterSettings => {
    if (!printer) throw new LabelError('PRINTER_FAILED', 'the station settings name no labelPrinter; set one in station-settings.json (docs/labels.md).');
    return printer;
  };
  return {
    printer,
    templates,
    service,
    labelStep: () => (printer ? createLabelStep(service, printer) : NO_PRINTER),
    reprint: async (serial, operatorId, reason, other) => service.reprint(serial, other ?? requirePrinter(), operatorId, reason),
    preview: async (serial, template, format) => service.preview(service.recordBySerial(serial), template ?? printer?.template ?? FALLBACK_TEMPLATE, format ?? printer?.format ?? 'zpl'),
    batchPreview: async (input, template, format) => renderBatchPreview(input, templates.get(template ?? printer?.template ?? FALLBACK_TEMPLATE), format ?? printer?.format ?? 'zpl'),
    history: (serial) => service.history(serial),
    unprinted: (limit) => service.unprinted(limit),
    printerStatus: async () => service.printerStatus(requirePrinter()),
  };
}

/** The label step a batch uses; the printer's state is asked for once before the batch starts. */
export async function stationLabelStep(options: StationLabelOptions): Promise<LabelStep> {
  const labels = await openStationLabels(options);
  // The status before the batch: a printer out of paper is shown before the first handset finishes.
  if (labels.printer) void labels.printerStatus().catch(() => undefined);
  return labels.labelStep();
}

/** Reprints a handset's label on the station printer of the database's folder: the UI's and scripts' one call. */
export async function reprintLabel(databasePath: string, serial: string, operatorId: string, reason: string): Promise<QueuedJob> {
  return (await openStationLabels({ databasePath })).reprint(serial, operatorId, reason);
}
