// One station's fleet served by several `lockstep sim` processes, as the provisioning bench does
// for a large hub: `--first` gives each process its own handsets, so they share a state folder
// without claiming each other's handsets and answer with their own serial numbers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FastbootClient } from '../../../src/main/fastboot/client.ts';
import { connectTcp } from '../../../src/main/fastboot/tcp-transport.ts';
import { startSimProcess } from './sim-process.ts';

const work = mkdtempSync(join(tmpdir(), 'lockstep-split-fleet-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function serialAt(address: string): Promise<string> {
  const client = new FastbootClient(await connectTcp('127.0.0.1', Number(address.split(':')[2])));
  try {
    return await client.getvar('serialno');
  } finally {
    await client.close();
  }
}

describe('a fleet split over several simulator processes', () => {
  it('serves LSIM0001-0002 from one process and LSIM0003-0004 from another on one state folder', async () => {
    const state = join(work, 'state');
    const first = await startSimProcess(['--count', '2', '--state', state]);
    const second = await startSimProcess(['--count', '2', '--first', '3', '--state', state]);
    try {
      expect([...second.output().matchAll(/^(LSIM\d{4})\ttcp:/gm)].map((match) => match[1])).toEqual(['LSIM0003', 'LSIM0004']);
      const serials = await Promise.all([...first.addresses, ...second.addresses].map(serialAt));
      expect(serials).toEqual(['LSIM0001', 'LSIM0002', 'LSIM0003', 'LSIM0004']);
    } finally {
      expect((await second.stop()).code).toBe(0);
      expect((await first.stop()).code).toBe(0);
    }
  });
});
