// The label step's seam. The labels subsystem plugs in here (src/main/labels/label-step.ts, chosen
// from the station settings by startProvisioning); without a printer the step is skipped as
// `no-printer`, because printing never blocks provisioning (docs/labels.md) and the records list the
// label as unprinted all the same: the card and History then say the same thing.
import type { UnprintedCause } from '../../shared/labels.ts';
import type { ProvisioningRecord } from '../../shared/records.ts';

export type LabelOutcome =
  | { readonly status: 'passed'; readonly detail: string }
  | { readonly status: 'skipped'; readonly unprinted: UnprintedCause; readonly detail: string };

export interface LabelStep {
  /** Never throws for a printer problem: the label is then marked unprinted and the handset stays provisioned. */
  label(record: ProvisioningRecord, signal: AbortSignal): Promise<LabelOutcome>;
  /** Why the label of a record committed earlier is unprinted, null once a printer took it: a provisioned handset met again. */
  unprinted(recordSeq: number): UnprintedCause | null;
}

/** Without a printer, and without the records' label jobs to ask (a batch given no labels): nothing is printed. */
export const NO_PRINTER: LabelStep = {
  label: async () => ({ status: 'skipped', unprinted: 'no-printer', detail: 'label not printed: no printer configured' }),
  unprinted: () => 'no-printer',
};
