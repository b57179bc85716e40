// Printing to a Zebra on raw TCP (a listener playing one): one well-formed ^XA … ^XZ job per label,
// ~HS before each job; paper out, head open, a closed port and a silent printer take the offline
// path (the label stays unprinted and reprintable, the record intact); reprints are recorded with
// their operator and reason; the label step never holds a handset longer than its bounded wait.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabelPrinterSettings } from '../../../src/shared/labels.ts';
import { createLabelService, type LabelService } from '../../../src/main/labels/label-service.ts';
import { createLabelStep } from '../../../src/main/labels/label-step.ts';
import { parseHostStatus, formatHostStatus } from '../../../src/main/labels/printers/host-status.ts';
import { loadLabelTemplates } from '../../../src/main/labels/templates.ts';
import { renderZplPng } from '../../../src/main/labels/zpl-preview.ts';
import { closedPort, createLabelFixture, TECHNICIAN } from './fixture.ts';
import { startZebra, type ZebraListener } from './zebra-listener.ts';

const station = createLabelFixture();
let zebra: ZebraListener;
let service: LabelService;
let printer: LabelPrinterSettings;
const statuses: string[] = [];

beforeAll(async () => {
  zebra = await startZebra();
  service = createLabelService({
    databasePath: station.records.databasePath,
    templates: await loadLabelTemplates(),
    printerOptions: { timeoutMs: 1500 },
    onPrinterStatus: (status) => statuses.push(status.state),
  });
  printer = { address: `tcp://127.0.0.1:${zebra.port}`, format: 'zpl', template: '2x1-203' };
});
afterAll(async () => {
  await zebra.close();
  station.cleanup();
});

function wellFormedLabel(job: Buffer | undefined): void {
  const text = job?.toString('latin1') ?? '';
  expect(text.startsWith('^XA\n')).toBe(true);
  expect(text.endsWith('^XZ\n')).toBe(true);
  expect(text.split('^XA')).toHaveLength(2);
  expect(text.split('^XZ')).toHaveLength(2);
}

describe('Zebra host status (~HS)', () => {
  it('reads paper out, paused, buffer full, head open and the formats in the buffer', () => {
    expect(parseHostStatus(formatHostStatus({ paperOut: true, paused: true, bufferFull: true, headOpen: true, formats: 3 }))).toEqual({
      problems: ['paper-out', 'paused', 'buffer-full', 'head-open'],
      formatsInBuffer: 3,
      labelsRemaining: 0,
    });
    expect(parseHostStatus(formatHostStatus({}))).toMatchObject({ problems: [] });
    expect(parseHostStatus(formatHostStatus({ ribbonOut: true, thermalTransfer: true }))).toMatchObject({ problems: ['ribbon-out'] });
    expect(parseHostStatus(formatHostStatus({ ribbonOut: true, thermalTransfer: false }))).toMatchObject({ problems: [] });
  });

  it('refuses an answer that is not three frames of digits', () => {
    expect(parseHostStatus(Buffer.from('\x02030,X,0\x03'))).toHaveProperty('problem');
    expect(parseHostStatus(Buffer.from(`\x02030,2,0,1218,000,0,0,0,000,0,0,0\x03\x02001,0,0,0,0,2,6,0,00000000,1,000\x03\x021234,0\x03`))).toHaveProperty('problem');
    expect(parseHostStatus(Buffer.alloc(0))).toHaveProperty('problem');
  });
});

describe('printing to a Zebra on raw TCP', () => {
  it('sends one well-formed ^XA … ^XZ job per label after a ~HS, and records it accepted', async () => {
    const records = [station.tagged('ZEB0001'), station.tagged('ZEB0002'), station.tagged('ZEB0003')];
    const queued = await Promise.all(records.map((record) => service.print({ record, printer, operatorId: TECHNICIAN.id })));
    const outcomes = await Promise.all(queued.map((entry) => entry.outcome));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['accepted', 'accepted', 'accepted']);
    expect(zebra.jobs).toHaveLength(3);
    expect(zebra.statusQueries).toBe(3);
    zebra.jobs.forEach(wellFormedLabel);
    expect(zebra.jobs.map((job) => /\^FDS\/N (\S+)\^FS/.exec(job.toString('latin1'))?.[1])).toEqual(['ZEB0001', 'ZEB0002', 'ZEB0003']);
    for (const record of records) expect(service.isPrinted(record.seq)).toBe(true);
    // The preview is the picture of exactly the bytes the printer received.
    const template = (await loadLabelTemplates()).get('2x1-203');
    expect((await renderZplPng(zebra.jobs[0] ?? Buffer.alloc(0), template)).equals(await service.preview(records[0] as (typeof records)[0], '2x1-203'))).toBe(true);
    expect(service.history('ZEB0001')).toMatchObject([{ kind: 'first', operatorId: TECHNICIAN.id, reason: null, outcome: { status: 'accepted' } }]);
  });

  it.each([
    ['paper out', { paperOut: true }, /not sent: printer reports paper-out/],
    ['head open', { headOpen: true }, /not sent: printer reports head-open/],
    ['paused', { paused: true }, /not sent: printer reports paused/],
    ['buffer full', { bufferFull: true }, /not sent: printer reports buffer-full/],
  ])('%s: nothing is sent, the label stays unprinted and the record intact', async (_, state, detail) => {
    zebra.state = state;
    const jobsBefore = zebra.jobs.length;
    const record = station.tagged(`ZEBNR-${Object.keys(state)[0]}`);
    const outcome = await (await service.print({ record, printer, operatorId: TECHNICIAN.id })).outcome;
    zebra.state = {};
    expect(outcome).toMatchObject({ status: 'failed', detail: expect.stringMatching(detail) });
    expect(zebra.jobs).toHaveLength(jobsBefore);
    expect(service.isPrinted(record.seq)).toBe(false);
    expect(service.unprinted().map((entry) => entry.serial)).toContain(record.serial);
    expect(station.records.log.get(record.seq)?.hash).toBe(record.hash);
    expect(station.records.checkIntegrity()).toMatchObject({ database: [], chain: { intact: true } });
  });

  it('a closed port and a silent printer are offline with a clear error; the label is reprinted later with operator and reason', async () => {
    const record = station.tagged('ZEBOFF01');
    const closed = { ...printer, address: `tcp://127.0.0.1:${await closedPort()}` };
    const refused = await (await service.print({ record, printer: closed, operatorId: TECHNICIAN.id })).outcome;
    expect(refused).toMatchObject({ status: 'failed', detail: expect.stringMatching(/connection refused/) });

    zebra.state = { silent: true };
    await expect(service.reprint('ZEBOFF01', printer, TECHNICIAN.id, '')).rejects.toThrow(/a reprint needs a reason|say why/);
    const silent = await (await service.reprint('ZEBOFF01', printer, TECHNICIAN.id, 'first try: printer was unplugged')).outcome;
    expect(silent).toMatchObject({ status: 'failed', detail: expect.stringMatching(/did not answer ~HS within 1500 ms/) });
    expect(service.unprinted().map((entry) => entry.serial)).toContain('ZEBOFF01');

    zebra.state = {};
    const reprinted = await (await service.reprint('ZEBOFF01', printer, 'sup.kowalski', 'printer back on line')).outcome;
    expect(reprinted.status).toBe('accepted');
    wellFormedLabel(zebra.jobs.at(-1));
    expect(service.unprinted().map((entry) => entry.serial)).not.toContain('ZEBOFF01');
    expect(service.history('ZEBOFF01').map((job) => [job.kind, job.operatorId, job.reason, job.outcome?.status])).toEqual([
      ['first', TECHNICIAN.id, null, 'failed'],
      ['reprint', TECHNICIAN.id, 'first try: printer was unplugged', 'failed'],
      ['reprint', 'sup.kowalski', 'printer back on line', 'accepted'],
    ]);
    expect(statuses).toContain('offline');
  });

  it('the label step passes when printed, and never holds a handset past its wait when the printer hangs', async () => {
    const step = createLabelStep(service, printer, { waitMs: 300 });
    const printed = await step.label(station.tagged('ZEBSTEP1'), new AbortController().signal);
    expect(printed).toMatchObject({ status: 'passed', detail: expect.stringMatching(/printed: \d+ bytes sent/) });

    zebra.state = { silent: true };
    const hung = station.tagged('ZEBSTEP2');
    const outcome = await step.label(hung, new AbortController().signal);
    // The step came back while the printer still had the job: its outcome is not recorded yet.
    expect(outcome).toMatchObject({ status: 'skipped', detail: expect.stringMatching(/queued on tcp:\/\/127\.0\.0\.1:\d+, not printed yet/) });
    expect(service.jobs(hung.seq)).toMatchObject([{ kind: 'first', outcome: null }]);
    await service.idle();
    zebra.state = {};
    expect(service.isPrinted(hung.seq)).toBe(false);
    // The pipeline coming back to the same record (a resumed handset) prints it as a recorded reprint.
    expect(await step.label(hung, new AbortController().signal)).toMatchObject({ status: 'passed' });
    expect(service.history('ZEBSTEP2').map((job) => job.kind)).toEqual(['first', 'reprint']);
    expect(await step.label(hung, new AbortController().signal)).toEqual({ status: 'passed', detail: 'label already printed' });
  });

  it('refuses PDF for a raw Zebra, and a record without a tag is skipped, not failed', async () => {
    await expect(service.print({ record: station.tagged('ZEBPDF1'), printer: { ...printer, format: 'pdf' }, operatorId: TECHNICIAN.id })).rejects.toThrow(/takes zpl, not pdf/);
    const untagged = station.provision({ serial: 'NOTAG001', imei: null });
    const step = createLabelStep(service, printer, { waitMs: 300 });
    expect(await step.label(untagged, new AbortController().signal)).toMatchObject({ status: 'skipped', detail: expect.stringMatching(/NOT_LABELLABLE/) });
  });
});
