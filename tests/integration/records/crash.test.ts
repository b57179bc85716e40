import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStationRecords } from '../../../src/main/records/station-records.ts';
import { TECHNICIAN, createStationFixture, recordFor } from './fixture.ts';

const WRITER = join(import.meta.dirname, 'crash-writer.ts');
const KILL_AFTER_ACKS = 150;

describe('crash safety', () => {
  it('keeps every acknowledged record and an intact chain when the writer is SIGKILLed mid-stream', async () => {
    const station = createStationFixture();
    station.records.close();
    try {
      const child = spawn(process.execPath, [WRITER, station.dir, String(station.batchId), TECHNICIAN.id], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.split('\n').length > KILL_AFTER_ACKS) child.kill('SIGKILL');
      });
      expect(await exited, stderr).toBe('SIGKILL');

      const acknowledged = stdout.split('\n').filter((line) => /^\d+$/.test(line)).map(Number);
      expect(acknowledged.length).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);

      const reopened = openStationRecords(station.dir);
      try {
        const check = reopened.checkIntegrity();
        expect(check.database).toEqual([]);
        expect(check.chain).toMatchObject({ intact: true });
        for (const seq of acknowledged) expect(reopened.log.get(seq)?.seq).toBe(seq);
        // It keeps working after the crash: the next record links to the recovered head.
        const head = reopened.log.head();
        const device = reopened.registerDevice({ batchId: station.batchId, serial: 'LS7C-AFTER', identity: {} });
        const next = reopened.commitProvisioningRecord(recordFor(device.id, { failedStep: 'flash', failureReason: 'unplugged' }));
        expect(next).toMatchObject({ seq: head.seq + 1, prevHash: head.hash });
      } finally {
        reopened.close();
      }
    } finally {
      rmSync(station.dir, { recursive: true, force: true });
    }
  });
});
