// Label: the provisioned handset's asset label goes to the printer. Printing never blocks
// provisioning: a printer problem leaves the label unprinted (to print from history), never the handset.
import type { Step } from '../step.ts';

export const label: Step<'label'> = {
  name: 'label',
  irreversible: false,
  async run(context) {
    const committed = context.committedRecord();
    const outcome = await context.labels.label(committed, context.signal);
    if (outcome.status === 'passed') return { status: 'passed', data: null, detail: outcome.detail };
    return { status: 'skipped', data: { unprinted: outcome.unprinted }, detail: outcome.detail };
  },
};
