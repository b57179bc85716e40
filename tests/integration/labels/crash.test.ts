// A station killed between allocating a handset's asset tag and printing its label: the tag stays
// with its record, the label is listed as unprinted after the restart, the next handset gets the
// next tag, and the label prints later as a recorded reprint.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLabelService } from '../../../src/main/labels/label-service.ts';
import { createLabelStep } from '../../../src/main/labels/label-step.ts';
import { loadLabelTemplates } from '../../../src/main/labels/templates.ts';
import { createLabelFixture, TECHNICIAN } from './fixture.ts';
import { startZebra } from './zebra-listener.ts';

const CHILD = join(import.meta.dirname, 'crash-labeller.ts');
const station = createLabelFixture();
afterAll(() => station.cleanup());

describe('a crash between tag allocation and printing', () => {
  it('neither loses the tag nor gives it to another handset; the unprinted label survives the restart', async () => {
    const zebra = await startZebra({ silent: true });
    try {
      const child = spawn(process.execPath, [CHILD, station.records.databasePath, String(station.taggedBatchId), TECHNICIAN.id, 'CRASH0001', String(zebra.port)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      let errors = '';
      child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('\n')) resolve();
        });
        child.once('exit', () => reject(new Error(`the child exited before queueing its label: ${errors}`)));
      });
      // The job is queued and waiting on the printer: the station dies now.
      child.kill('SIGKILL');
      await once(child, 'exit');
      const [seq, tag, jobId] = output.trim().split(' ');
      expect(tag).toMatch(/^LS-2026-\d{6}$/);

      const service = createLabelService({ databasePath: station.records.databasePath, templates: await loadLabelTemplates(), printerOptions: { timeoutMs: 1500 } });
      expect(station.records.checkIntegrity()).toMatchObject({ database: [], chain: { intact: true } });
      const record = station.records.log.get(Number(seq));
      expect(record).toMatchObject({ serial: 'CRASH0001', assetTag: tag });
      expect(service.unprinted()).toContainEqual(expect.objectContaining({ recordSeq: Number(seq), serial: 'CRASH0001', assetTag: tag, lastFailure: null }));
      expect(service.jobs(Number(seq))).toMatchObject([{ id: Number(jobId), kind: 'first', outcome: null }]);

      const next = station.tagged('CRASH0002');
      expect('assetTag' in next && next.assetTag).not.toBe(tag);
      expect('assetTag' in next && next.assetTag).toBe(`LS-2026-${String(Number(tag?.slice(-6)) + 1).padStart(6, '0')}`);

      zebra.state = {};
      const step = createLabelStep(service, { address: `tcp://127.0.0.1:${zebra.port}`, format: 'zpl', template: '2x1-203' });
      expect(await step.label(record as NonNullable<typeof record>, new AbortController().signal)).toMatchObject({ status: 'passed' });
      expect(service.jobs(Number(seq)).map((job) => [job.kind, job.outcome?.status ?? null])).toEqual([['first', null], ['reprint', 'accepted']]);
      expect(service.unprinted().map((entry) => entry.serial)).not.toContain('CRASH0001');
      expect(zebra.jobs.some((job) => job.toString('latin1').includes(`^FD${tag}^FS`))).toBe(true);
    } finally {
      await zebra.close();
    }
  });
});
