// The label step a station's batch uses: the printer named in its settings (labelPrinter), the
// shipped templates plus the depot's `labels/` folder. A station without a printer labels nothing
// and says so; a printer naming an unknown template stops the batch from starting, before any
// handset is touched, rather than leaving every label of the batch unprinted.
import { join } from 'node:path';
import type { PrinterStatus } from '../../shared/labels.ts';
import { NO_PRINTER, type LabelStep } from '../pipeline/labels.ts';
import { loadSettings } from '../station/settings.ts';
import { createLabelService } from './label-service.ts';
import { createLabelStep } from './label-step.ts';
import { DEPOT_TEMPLATES_DIR, loadLabelTemplates } from './templates.ts';

export interface StationLabelOptions {
  readonly databasePath: string;
  /** The folder holding station-settings.json and the depot's labels/ folder. */
  readonly settingsDir: string;
  readonly onPrinterStatus?: (status: PrinterStatus) => void;
}

export async function stationLabelStep(options: StationLabelOptions): Promise<LabelStep> {
  const { labelPrinter } = await loadSettings(options.settingsDir);
  if (!labelPrinter) return NO_PRINTER;
  const templates = await loadLabelTemplates({ depotDir: join(options.settingsDir, DEPOT_TEMPLATES_DIR) });
  templates.get(labelPrinter.template);
  const service = createLabelService({ databasePath: options.databasePath, templates, ...(options.onPrinterStatus ? { onPrinterStatus: options.onPrinterStatus } : {}) });
  // The status before the batch: a printer out of paper is shown before the first handset finishes.
  void service.printerStatus(labelPrinter).catch(() => undefined);
  return createLabelStep(service, labelPrinter);
}
