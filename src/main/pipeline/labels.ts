// The label step's seam. The labels subsystem plugs in here (src/main/labels/label-step.ts, chosen
// from the station settings by startProvisioning); without a printer the step records that plainly
// and passes, because printing never blocks provisioning (docs/labels.md).
import type { ProvisioningRecord } from '../../shared/records.ts';

export interface LabelOutcome {
  readonly status: 'passed' | 'skipped';
  readonly detail: string;
}

export interface LabelStep {
  /** Never throws for a printer problem: the label is then marked unprinted and the handset stays provisioned. */
  label(record: ProvisioningRecord, signal: AbortSignal): Promise<LabelOutcome>;
}

export const NO_PRINTER: LabelStep = {
  label: async () => ({ status: 'passed', detail: 'no printer configured' }),
};
