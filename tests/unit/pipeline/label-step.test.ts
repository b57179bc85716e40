// The label step with the station's label step (labels/label-step.ts) over a fake label service (the
// printer's side): the committed record's label is printed, or left unprinted and the step skipped,
// and a printer problem never fails the handset. A skipped step journals why the label is unprinted
// (no printer, or the printer did not take it) as data; its detail is the printer's answer for the operator.
import { describe, expect, it } from 'vitest';
import { LabelError } from '../../../src/main/labels/errors.ts';
import type { LabelService, PrintRequest, QueuedJob } from '../../../src/main/labels/label-service.ts';
import { createLabelStep } from '../../../src/main/labels/label-step.ts';
import type { JobOutcome } from '../../../src/main/labels/print-queue.ts';
import { NO_PRINTER, type LabelStep } from '../../../src/main/pipeline/labels.ts';
import { label } from '../../../src/main/pipeline/steps/label.ts';
import type { ProvisioningRecord } from '../../../src/shared/records.ts';
import { expectData, harness, SERIAL } from './step-harness.ts';

const RECORD = { seq: 41, serial: SERIAL, operatorId: 'tech', outcome: 'provisioned' } as ProvisioningRecord;
const PRINTER = { address: 'tcp://10.0.0.9:9100', format: 'zpl', template: 'asset-50x25' } as const;

/** A label service whose printer answers `outcome` (never, when undefined); `printed`: the record's label was printed before. */
class FakeLabelService {
  readonly requests: PrintRequest[] = [];
  readonly outcome: JobOutcome | undefined;
  readonly printed: boolean;
  readonly refusal: LabelError | null;

  constructor(outcome: JobOutcome | undefined, printed = false, refusal: LabelError | null = null) {
    this.outcome = outcome;
    this.printed = printed;
    this.refusal = refusal;
  }

  isPrinted(seq: number): boolean {
    return this.printed && seq === RECORD.seq;
  }

  jobs(): unknown[] {
    return [];
  }

  async print(request: PrintRequest): Promise<QueuedJob> {
    this.requests.push(request);
    if (this.refusal) throw this.refusal;
    const job = { id: 3, recordSeq: request.record.seq, kind: 'first', printer: PRINTER.address, format: 'zpl', template: PRINTER.template, operatorId: request.operatorId, reason: null, requestedAt: '', outcome: null } as const;
    return { job, outcome: this.outcome === undefined ? new Promise<JobOutcome>(() => undefined) : Promise.resolve(this.outcome) };
  }
}

async function run(labels: LabelStep) {
  const { context } = harness('label');
  Object.assign(context, { labels });
  context.committedRecord = () => RECORD;
  const outcome = await label.run(context);
  expectData('label', outcome.status, outcome.data);
  return outcome;
}

const stepOver = (service: FakeLabelService, waitMs?: number): LabelStep => createLabelStep(service as unknown as LabelService, PRINTER, { waitMs });

describe('the label step', () => {
  it("passes once the printer took the committed record's label", async () => {
    const service = new FakeLabelService({ status: 'accepted', detail: 'printed on ZD421' });
    expect(await run(stepOver(service))).toEqual({ status: 'passed', data: null, detail: 'label job 3 printed: printed on ZD421' });
    expect(service.requests.map((request) => [request.record.seq, request.operatorId, request.reason])).toEqual([[41, 'tech', null]]);
  });

  it('is skipped, never failed, when the printer refuses the label, saying how to print it later', async () => {
    const service = new FakeLabelService({ status: 'failed', detail: 'paper out', printerStatus: null });
    const outcome = await run(stepOver(service));
    expect(outcome).toMatchObject({ status: 'skipped', data: { unprinted: 'not-taken' } });
    expect(outcome.detail).toBe(`label unprinted (job 3): paper out; print it later with: lockstep label print --serial ${SERIAL}`);
  });

  it('is skipped when the label cannot be queued, naming the label error', async () => {
    const service = new FakeLabelService(undefined, false, new LabelError('PRINTER_FAILED', 'no route to the printer'));
    expect(await run(stepOver(service))).toMatchObject({ status: 'skipped', data: { unprinted: 'not-taken' }, detail: 'label not printed (PRINTER_FAILED): no route to the printer' });
  });

  it('is skipped with the job left queued when the printer has not answered within the wait', async () => {
    expect(await run(stepOver(new FakeLabelService(undefined), 0))).toMatchObject({ status: 'skipped', data: { unprinted: 'not-taken' }, detail: expect.stringContaining('queued on tcp://10.0.0.9:9100, not printed yet') });
  });

  it('prints nothing again for a label printed before', async () => {
    const service = new FakeLabelService({ status: 'accepted', detail: 'printed' }, true);
    expect(await run(stepOver(service))).toEqual({ status: 'passed', data: null, detail: 'label already printed' });
    expect(service.requests).toEqual([]);
  });

  it("tells why an earlier record's label is unprinted, and nothing once a printer took it (a provisioned handset met again)", () => {
    expect(stepOver(new FakeLabelService(undefined, true)).unprinted(RECORD.seq)).toBeNull();
    expect(stepOver(new FakeLabelService(undefined, false)).unprinted(RECORD.seq)).toBe('not-taken');
    expect(NO_PRINTER.unprinted(RECORD.seq)).toBe('no-printer');
  });

  it('is skipped as no-printer on a station without a printer: the label is unprinted, as History lists it', async () => {
    expect(await run(NO_PRINTER)).toEqual({ status: 'skipped', data: { unprinted: 'no-printer' }, detail: 'label not printed: no printer configured' });
  });
});
