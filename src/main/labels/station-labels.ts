// The labels of one station: its printer, its templates, and the calls the front ends make (the
// pipeline's label step, reprint from history, previews, the unprinted list, the printer's state).
// The station reads the settings and hands them in (station/label-setup.ts); a station without a
// printer labels nothing and says so.
import type { BatchPreviewRequest, LabelFormat, LabelJobSummary, LabelPrinterSettings, PrinterStatus } from '../../shared/labels.ts';
import { NO_PRINTER, type LabelStep } from '../pipeline/labels.ts';
import { LabelError } from './errors.ts';
import type { LabelService, QueuedJob } from './label-service.ts';
import { createLabelStep } from './label-step.ts';
import type { UnprintedLabel } from './label-store.ts';
import { renderBatchPreview } from './render.ts';
import type { TemplateSet } from './templates.ts';

export interface StationLabelParts {
  /** The station printer, as the station's settings name it (read by the station: see station/label-setup.ts). */
  readonly printer: LabelPrinterSettings | null;
  readonly templates: TemplateSet;
  readonly service: LabelService;
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
  batchPreview(input: BatchPreviewRequest, date: Date, template?: string, format?: LabelFormat): Promise<Buffer>;
  history(serial: string): LabelJobSummary[];
  unprinted(limit?: number): UnprintedLabel[];
  /** The station printer's state now (~HS for a Zebra). */
  printerStatus(): Promise<PrinterStatus>;
}

/** The station's label calls over its printer, templates and label service. */
export function createStationLabels({ printer, templates, service }: StationLabelParts): StationLabels {
  const requirePrinter = (): LabelPrinterSettings => {
    // Its own code: nothing failed, there is nowhere to print (the UI then words it and offers Settings to an admin).
    if (!printer) {
      throw new LabelError('NO_PRINTER', 'no label printer is configured: an admin sets one on the Settings screen (labelPrinter in station-settings.json, docs/labels.md).');
    }
    return printer;
  };
  return {
    printer,
    templates,
    service,
    labelStep: () =>
      printer
        ? createLabelStep(service, printer)
        : // A label printed earlier, on a printer since removed, still counts as printed.
          { ...NO_PRINTER, unprinted: (seq) => (service.isPrinted(seq) ? null : 'no-printer') },
    reprint: async (serial, operatorId, reason, other) => service.reprint(serial, other ?? requirePrinter(), operatorId, reason),
    preview: async (serial, template, format) => service.preview(service.recordBySerial(serial), template ?? printer?.template ?? FALLBACK_TEMPLATE, format ?? printer?.format ?? 'zpl'),
    batchPreview: async (input, date, template, format) => renderBatchPreview(input, date, templates.get(template ?? printer?.template ?? FALLBACK_TEMPLATE), format ?? printer?.format ?? 'zpl'),
    history: (serial) => service.history(serial),
    unprinted: (limit) => service.unprinted(limit),
    printerStatus: async () => service.printerStatus(requirePrinter()),
  };
}
