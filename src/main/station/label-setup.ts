// The one place a station's labels are put together, for the station core, `lockstep provision`
// (through startProvisioning) and `lockstep label`: the printer named in the station settings
// (labelPrinter), the shipped templates plus the depot's `labels/` folder, and the label service over
// the records database. A printer naming an unknown template stops a batch from starting, before any
// handset is touched, rather than leaving every label unprinted.
import { dirname, join } from 'node:path';
import type { PrinterStatus } from '../../shared/labels.ts';
import { createLabelService } from '../labels/label-service.ts';
import type { QueuedJob } from '../labels/label-service.ts';
import { createStationLabels, type StationLabels } from '../labels/station-labels.ts';
import type { PrinterOptions } from '../labels/printers/index.ts';
import { DEPOT_TEMPLATES_DIR, loadLabelTemplates, type TemplateSet } from '../labels/templates.ts';
import type { LabelStep } from '../pipeline/labels.ts';
import { loadSettings } from './settings.ts';

export interface StationLabelOptions {
  readonly databasePath: string;
  /** The folder holding station-settings.json and the depot's labels/ folder; default: the database's. */
  readonly settingsDir?: string;
  /** How long each printer step may take, and the like (`lockstep label --timeout`). */
  readonly printerOptions?: PrinterOptions;
  /** Each printer state found (before the batch and before every job), for the station's display. */
  readonly onPrinterStatus?: (status: PrinterStatus) => void;
}

/** The shipped label templates and the depot's own (`labels/` in the data folder). */
export function stationTemplates(dataDir: string): Promise<TemplateSet> {
  return loadLabelTemplates({ depotDir: join(dataDir, DEPOT_TEMPLATES_DIR) });
}

/** The station's labels as its settings describe them now. */
export async function openStationLabels(options: StationLabelOptions): Promise<StationLabels> {
  const settingsDir = options.settingsDir ?? dirname(options.databasePath);
  const { labelPrinter: printer } = await loadSettings(settingsDir);
  const templates = await stationTemplates(settingsDir);
  if (printer) templates.get(printer.template);
  const service = createLabelService({
    databasePath: options.databasePath,
    templates,
    ...(options.printerOptions ? { printerOptions: options.printerOptions } : {}),
    ...(options.onPrinterStatus ? { onPrinterStatus: options.onPrinterStatus } : {}),
  });
  return createStationLabels({ printer, templates, service });
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
