// The pipeline's label step (src/main/pipeline/labels.ts): queue the record's label on the station's
// printer and wait a short, bounded time for the printer's answer. A label the printer has not
// taken by then, or refused, stays unprinted in the records and is printed later from history; the
// handset stays provisioned either way, so a printer never holds up a batch.
import type { LabelPrinterSettings } from '../../shared/labels.ts';
import type { ProvisioningRecord } from '../../shared/records.ts';
import { describeFailure } from '../../shared/describe-failure.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import type { LabelOutcome, LabelStep } from '../pipeline/labels.ts';
import { LabelError } from './errors.ts';
import type { LabelService } from './label-service.ts';

/** How long the step waits for the printer before it lets the handset finish with the label queued. */
export const DEFAULT_LABEL_WAIT_MS = 3000;

/** The reason written when a label whose earlier job never got an answer (station stopped) is printed again. */
export const RESUMED_REASON = 'printed again by the pipeline: the earlier job of this label has no accepted outcome';

function waitOrAbort(ms: number, signal: AbortSignal): Promise<'waited'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('waited'), ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve('waited');
    }, { once: true });
  });
}

export function createLabelStep(service: LabelService, printer: LabelPrinterSettings, options: { waitMs?: number } = {}): LabelStep {
  const waitMs = options.waitMs ?? DEFAULT_LABEL_WAIT_MS;
  return {
    async label(record: ProvisioningRecord, signal: AbortSignal): Promise<LabelOutcome> {
      const reprintHint = `print it later with: lockstep label print --serial ${displaySafe(record.serial, 64)}`;
      let queued;
      try {
        if (service.isPrinted(record.seq)) return { status: 'passed', detail: 'label already printed' };
        const earlier = service.jobs(record.seq).length > 0;
        queued = await service.print({ record, printer, operatorId: record.operatorId, reason: earlier ? RESUMED_REASON : null });
      } catch (error) {
        const kind = error instanceof LabelError ? error.code : 'LABEL_FAILED';
        return { status: 'skipped', unprinted: 'not-taken', detail: `label not printed (${kind}): ${describeFailure(error)}` };
      }
      const answer = await Promise.race([queued.outcome, waitOrAbort(waitMs, signal)]);
      if (answer === 'waited') return { status: 'skipped', unprinted: 'not-taken', detail: `label job ${queued.job.id} queued on ${queued.job.printer}, not printed yet; it stays unprinted until the printer takes it` };
      if (answer.status === 'accepted') return { status: 'passed', detail: `label job ${queued.job.id} printed: ${answer.detail}` };
      return { status: 'skipped', unprinted: 'not-taken', detail: `label unprinted (job ${queued.job.id}): ${answer.detail}; ${reprintHint}` };
    },
    unprinted: (recordSeq) => (service.isPrinted(recordSeq) ? null : 'not-taken'),
  };
}
