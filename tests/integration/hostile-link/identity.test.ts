// Which handset is on the link: a link re-pointed to another handset just before the fuse step, a
// serial number with control bytes, and a handset whose policy fuses are already burned when it
// arrives. Nothing irreversible may reach a handset that was not identified, flashed and verified,
// and the records claim nothing the command logs do not show.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTCOMES } from '../pipeline/fixture.ts';
import { FastbootProxy, type ProxyRule } from '../../support/fastboot-proxy.ts';
import {
  checkTrueToLog,
  count,
  DIALECTS,
  failureCode,
  makeBundles,
  startSim,
  startStation,
  stationDbTemplate,
  type Bundles,
  type ProfileId,
  type SimProcess,
} from './harness.ts';

const HOSTILE_SERIAL = 'HS\x1b[2J01';
/** A write of any kind, or an irreversible command, in either dialect. */
const WRITES = /^(download:|flash:|erase:|oem fuse prog|oem efuse blow|flashing lock$|oem lock$)/;

const DEVICES = [
  { serial: 'FIRSTREF' },
  { serial: 'SWAPREF' },
  { serial: HOSTILE_SERIAL },
  // Bank 3 word 0 as it leaves the factory (SECURE_BOOT) plus CAMERA_DISABLE and GPS_DISABLE already burned.
  { serial: 'RSETFUSE', fuses: [{ bank: 3, word: 0, value: 0x31 }] },
  {
    serial: 'KSETFUSE',
    model: 'kestrel-k2',
    fuses: [
      { bank: 0, word: 0, value: 0x1 },
      { bank: 1, word: 2, value: (1 << 9) | (1 << 12) },
    ],
  },
];

let dir: string;
let bundles: Bundles;
let sim: SimProcess;
let newDb: (name: string) => string;
const portOf = (serial: string): number => sim.ports[DEVICES.findIndex((device) => device.serial === serial)] as number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lockstep-identity-'));
  bundles = await makeBundles(dir);
  newDb = stationDbTemplate(dir);
  sim = await startSim(join(dir, 'sim'), DEVICES);
}, 120_000);

afterAll(async () => {
  await sim?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function stationFor(name: string, profile: ProfileId, serial: string, rules: ProxyRule[] = []) {
  const proxy = await FastbootProxy.start({ port: portOf(serial) }, rules);
  const station = await startStation({
    dir: join(dir, name),
    db: newDb(`db-${name}`),
    bundle: bundles.bundle[profile],
    trustDir: bundles.trustDir,
    tcp: [proxy.endpoint],
    serial: [sim.atPath(serial)],
  });
  return { proxy, station, close: async () => (await station.close(), await proxy.close()) };
}

describe('hostile identities', () => {
  it('a link re-pointed to another handset at the fuse step: IDENTITY_CHANGED, and nothing irreversible reaches the second handset', async () => {
    const swap = portOf('SWAPREF');
    const run = await stationFor('repoint', 'lockstep-ref', 'FIRSTREF', [
      { on: 'command', match: 'oem fuse read', action: { kind: 'repoint', to: { port: swap } } },
      // Should the station take the second handset for a new arrival, it must flash it first: held here, so
      // any fuse or lock command on it could only come from the attempt that was identified on the first.
      { on: 'command', match: 'download:', upstream: swap, action: { kind: 'stall' }, times: 'always' },
    ]);
    try {
      const outcome = await run.station.outcome('FIRSTREF');
      await run.proxy.waitFor((packet) => packet.fate === 'repoint');
      const second = await sim.fastboot('SWAPREF');
      expect(second.filter((command) => command.startsWith('oem fuse prog') || command === 'flashing lock'), second.join('\n')).toEqual([]);
      const first = await sim.fastboot('FIRSTREF');
      expect(count(first, 'oem fuse prog')).toBe(0);
      expect(outcome.reason?.code, JSON.stringify(outcome)).toBe('IDENTITY_CHANGED');
      const records = run.station.recordsOf('FIRSTREF');
      for (const record of records) expect(record).toMatchObject({ outcome: 'failed', fusesBurned: [], locked: false });
      if (records.length > 0) expect(failureCode(records.at(-1))).toBe('IDENTITY_CHANGED');
      expect(run.station.recordsOf('SWAPREF').filter((record) => record.outcome === 'provisioned')).toEqual([]);
    } finally {
      await run.close();
    }
  }, 90_000);

  it('a serial number with control bytes over TCP: SERIAL_INVALID, before anything is written', async () => {
    const run = await stationFor('hostile-serial', 'lockstep-ref', HOSTILE_SERIAL);
    try {
      const snapshot = await run.station.until((current) => current.handsets.some((handset) => OUTCOMES.includes(handset.phase)), 'an outcome for the hostile serial', 60_000);
      const handset = snapshot.handsets[0];
      expect(handset?.reason?.code, JSON.stringify(handset)).toBe('SERIAL_INVALID');
      expect(handset?.phase).toBe('failed');
      const commands = await sim.fastboot(HOSTILE_SERIAL);
      expect(commands.length).toBeGreaterThan(0);
      expect(commands.filter((command) => WRITES.test(command))).toEqual([]);
      const records = run.station.records.log.latest({}, 100);
      expect(records.filter((record) => record.outcome === 'provisioned')).toEqual([]);
      for (const record of records) {
        expect(record).toMatchObject({ fusesBurned: [], locked: false });
        expect(failureCode(record)).toBe('SERIAL_INVALID');
      }
    } finally {
      await run.close();
    }
  }, 90_000);

  it.each([
    ['lockstep-ref', 'RSETFUSE'],
    ['kestrel-k2', 'KSETFUSE'],
  ] as const)('%s: the policy fuses found already set: FUSES_FOUND_SET, quarantined, no program, and fusesBurned empty', async (profile, serial) => {
    const dialect = DIALECTS[profile];
    const run = await stationFor(`found-set-${profile}`, profile, serial);
    try {
      const outcome = await run.station.outcome(serial);
      const commands = await sim.fastboot(serial);
      expect(count(commands, dialect.fuseProgram), commands.join('\n')).toBe(0);
      expect(count(commands, dialect.lock), commands.join('\n')).toBe(0);
      expect(outcome.reason?.code, JSON.stringify(outcome)).toBe('FUSES_FOUND_SET');
      const records = run.station.recordsOf(serial);
      const last = records.at(-1);
      expect(last).toMatchObject({ outcome: 'failed', fusesBurned: [], locked: false });
      expect(failureCode(last)).toBe('FUSES_FOUND_SET');
      // Record format 3 names the fuses found set apart from the ones burned.
      if (last && 'fusesFoundSet' in last) expect(last.fusesFoundSet).toEqual(['CAMERA_DISABLE', 'GPS_DISABLE']);
      expect(checkTrueToLog(commands, records, dialect)).toEqual([]);

      // Quarantined: the operator's retry is refused by the batch, and nothing more reaches the handset.
      const before = commands.length;
      expect(() => run.station.started.batch.retry(serial)).toThrow(expect.objectContaining({ code: 'QUARANTINED' }));
      expect((await sim.fastboot(serial)).slice(before).filter((command) => WRITES.test(command))).toEqual([]);
    } finally {
      await run.close();
    }
  }, 90_000);
});
