// Links that break under `lockstep provision`: reset mid-flash while the handset's endpoint keeps
// answering (the handset must be met again and end provisioned, so `--expect 2` completes), and a
// link gone for good (the run must not claim every handset provisioned, nor exit 0).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FastbootProxy } from '../../support/fastboot-proxy.ts';
import { checkTrueToLog, count, DIALECTS, makeBundles, provisionCli, recordsIn, startSim, stationDbTemplate, runSummary, type Bundles, type SimProcess } from './harness.ts';

const SERIALS = ['RESET01', 'CALM01', 'GONE01', 'STAY01'];
const ref = DIALECTS['lockstep-ref'];

let dir: string;
let bundles: Bundles;
let sim: SimProcess;
let newDb: (name: string) => string;
const portOf = (serial: string): number => sim.ports[SERIALS.indexOf(serial)] as number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lockstep-link-reset-'));
  bundles = await makeBundles(dir);
  newDb = stationDbTemplate(dir);
  sim = await startSim(
    join(dir, 'sim'),
    SERIALS.map((serial) => ({ serial })),
  );
}, 120_000);

afterAll(async () => {
  await sim?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Resolves with the run's end, or rejects after `ms` having killed it (a run that never ends is a failure, not a hang). */
async function endOf(run: ReturnType<typeof provisionCli>, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const cut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      run.child.kill('SIGKILL');
      reject(new Error(`lockstep provision did not finish in ${ms} ms; last events: ${JSON.stringify(run.events.slice(-4))}`));
    }, ms);
  });
  try {
    return await Promise.race([run.done, cut]);
  } finally {
    clearTimeout(timer);
  }
}

/** `lockstep provision --expect 2` over two proxied links, each handset's AT port beside it, on a database of its own. */
function provisionPair(name: string, links: readonly [FastbootProxy, FastbootProxy], serials: readonly [string, string]) {
  const dataDir = join(dir, `data-${name}`);
  mkdirSync(dataDir);
  const db = newDb(`db-${name}`);
  const run = provisionCli({
    dataDir,
    db,
    bundle: bundles.bundle['lockstep-ref'],
    trustDir: bundles.trustDir,
    tcp: links.map((link) => link.endpoint),
    serial: serials.map((serial) => sim.atPath(serial)),
    expect: 2,
  });
  return { run, db };
}

describe('lockstep provision over links that break', () => {
  it('a link reset mid-flash with the endpoint still answering: the handset is met again and ends provisioned; --expect 2 completes with exit 0', async () => {
    const resetting = await FastbootProxy.start({ port: portOf('RESET01') }, [{ on: 'command', match: 'flash:', action: { kind: 'reset' } }]);
    const calm = await FastbootProxy.start({ port: portOf('CALM01') });
    try {
      const { run, db } = provisionPair('reset', [resetting, calm], ['RESET01', 'CALM01']);
      const end = await endOf(run, 60_000);
      expect(resetting.rulesLeft).toEqual([0]);
      expect(end.status, end.stderr).toBe(0);
      expect(runSummary(end.stdout)).toMatchObject({ handsets: 2, provisioned: 2, failed: 0, unfinished: 0 });
      for (const serial of ['RESET01', 'CALM01']) {
        const commands = await sim.fastboot(serial);
        const records = recordsIn(db, serial);
        expect(records.at(-1), serial).toMatchObject({ outcome: 'provisioned', locked: true, fusesBurned: ['CAMERA_DISABLE', 'GPS_DISABLE'] });
        expect(checkTrueToLog(commands, records, ref), serial).toEqual([]);
        expect(count(commands, ref.lock), serial).toBe(1);
      }
    } finally {
      await resetting.close();
      await calm.close();
    }
  }, 90_000);

  it('a handset whose link is gone for good mid-flash: the run does not exit 0 and its summary counts it', async () => {
    const gone = await FastbootProxy.start({ port: portOf('GONE01') }, [{ on: 'command', match: 'flash:', action: { kind: 'reset', refuseConnections: Number.POSITIVE_INFINITY } }]);
    const stay = await FastbootProxy.start({ port: portOf('STAY01') });
    try {
      const { run, db } = provisionPair('gone', [gone, stay], ['GONE01', 'STAY01']);
      await run.event((event) => event.serial === 'STAY01' && event.phase === 'provisioned');
      await gone.waitFor((packet) => packet.fate === 'reset');
      await run.event((event) => event.serial === 'GONE01' && event.phase !== 'running' && event.phase !== 'queued');
      // The operator stops the run (Ctrl-C) with one handset still out.
      run.child.kill('SIGTERM');
      const end = await endOf(run, 30_000);
      expect(end.status, end.stderr).not.toBe(0);
      expect(runSummary(end.stdout)).toMatchObject({ handsets: 2, provisioned: 1 });
      expect(recordsIn(db, 'STAY01').at(-1)).toMatchObject({ outcome: 'provisioned', locked: true });
      expect(recordsIn(db, 'GONE01').filter((record) => record.outcome === 'provisioned')).toEqual([]);
      const commands = await sim.fastboot('GONE01');
      expect(commands.filter((command) => /^(oem fuse prog|flashing lock$)/.test(command))).toEqual([]);
    } finally {
      await gone.close();
      await stay.close();
    }
  }, 90_000);
});
