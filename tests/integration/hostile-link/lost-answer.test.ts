// The OKAY of an irreversible command lost on the way back: the proxy forwards `oem fuse prog` (or
// the lock) to the handset, which carries it out, and drops the station's link before the answer
// reaches it. The station must find out from the handset's own readback what happened, never send
// the command again, and record exactly that; a readback that denies it is an alarm.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FastbootProxy, type ProxyRule } from '../../support/fastboot-proxy.ts';
import {
  checkTrueToLog,
  count,
  DIALECTS,
  failureCode,
  makeBundles,
  POLICY_FUSES,
  programmedBits,
  startSim,
  startStation,
  stationDbTemplate,
  type Bundles,
  type Dialect,
  type ProfileId,
  type SimProcess,
} from './harness.ts';

const CASES = ['FUSEOK', 'FUSELIE', 'LOCKOK', 'LOCKLIE'] as const;
const PROFILES: ProfileId[] = ['lockstep-ref', 'kestrel-k2'];
const serialOf = (profile: ProfileId, name: (typeof CASES)[number]): string => `${profile === 'kestrel-k2' ? 'K' : 'R'}${name}`;

let dir: string;
let bundles: Bundles;
let sim: SimProcess;
let newDb: (name: string) => string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lockstep-lost-answer-'));
  bundles = await makeBundles(dir);
  newDb = stationDbTemplate(dir);
  sim = await startSim(
    join(dir, 'sim'),
    PROFILES.flatMap((profile) => CASES.map((name) => ({ serial: serialOf(profile, name), model: profile }))),
  );
}, 120_000);

afterAll(async () => {
  await sim?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** One handset of the shared simulator behind its own proxy, provisioned by its own in-process station. */
async function provisionThrough(profile: ProfileId, name: (typeof CASES)[number], rules: (dialect: Dialect) => ProxyRule[]) {
  const serial = serialOf(profile, name);
  const dialect = DIALECTS[profile];
  const index = PROFILES.indexOf(profile) * CASES.length + CASES.indexOf(name);
  const proxy = await FastbootProxy.start({ port: sim.ports[index] as number }, rules(dialect));
  const station = await startStation({
    dir: join(dir, serial),
    db: newDb(`db-${serial}`),
    bundle: bundles.bundle[profile],
    trustDir: bundles.trustDir,
    tcp: [proxy.endpoint],
    serial: [sim.atPath(serial)],
  });
  return { serial, dialect, proxy, station, close: async () => (await station.close(), await proxy.close()) };
}

/**
 * The answer is lost and the link reset; the handset's endpoint refuses the next connection, as a
 * handset re-enumerating after a USB reset is gone for a moment, so the station's discovery sees it
 * leave and come back (a link reset with the endpoint answering throughout is link-reset.test.ts).
 */
const lostOkay = (command: string): ProxyRule => ({ on: 'response', answering: command, match: 'OKAY', action: { kind: 'reset', refuseConnections: 1 } });

describe.each(PROFILES)('%s: the OKAY of an irreversible command is lost', (profile) => {
  it('fuse program: the readback shows the bits, so the step is done without a second program, and the handset ends provisioned', async () => {
    const run = await provisionThrough(profile, 'FUSEOK', (dialect) => [lostOkay(dialect.fuseProgram)]);
    try {
      const outcome = await run.station.outcome(run.serial);
      await run.proxy.waitFor((packet) => packet.fate === 'reset');
      const commands = await sim.fastboot(run.serial);
      expect(count(commands, run.dialect.fuseProgram), commands.join('\n')).toBe(1);
      expect(programmedBits(commands, run.dialect)).toBe(run.dialect.policyMask);
      expect(outcome, JSON.stringify(outcome.reason)).toMatchObject({ phase: 'provisioned' });
      const records = run.station.recordsOf(run.serial);
      expect(records.at(-1)).toMatchObject({ outcome: 'provisioned', fusesBurned: POLICY_FUSES, locked: true });
      expect(checkTrueToLog(commands, records, run.dialect)).toEqual([]);
    } finally {
      await run.close();
    }
  }, 90_000);

  it('fuse program: a readback that then claims the bits unset is FUSE_UNCONFIRMED, quarantined, with no second program and no lock', async () => {
    const run = await provisionThrough(profile, 'FUSELIE', (dialect) => [
      lostOkay(dialect.fuseProgram),
      // Before the program the word truly reads its factory value; after it, the lie keeps saying so.
      { on: 'response', answering: dialect.fuseRead, match: 'INFO', action: { kind: 'rewrite', to: dialect.fuseReadInfo(dialect.factoryWord) }, times: 'always' },
    ]);
    try {
      const outcome = await run.station.outcome(run.serial);
      const commands = await sim.fastboot(run.serial);
      expect(count(commands, run.dialect.fuseProgram), commands.join('\n')).toBe(1);
      expect(count(commands, run.dialect.lock), commands.join('\n')).toBe(0);
      expect(outcome.reason?.code, JSON.stringify(outcome)).toBe('FUSE_UNCONFIRMED');
      const records = run.station.recordsOf(run.serial);
      expect(records.at(-1)).toMatchObject({ outcome: 'failed', failedStep: 'fuse', locked: false });
      expect(failureCode(records.at(-1))).toBe('FUSE_UNCONFIRMED');
      expect(checkTrueToLog(commands, records, run.dialect)).toEqual([]);

      // Quarantined: the operator's retry is refused by the batch, and nothing more reaches the handset.
      const before = commands.length;
      expect(() => run.station.started.batch.retry(run.serial)).toThrow(expect.objectContaining({ code: 'QUARANTINED' }));
      const after = (await sim.fastboot(run.serial)).slice(before);
      expect(after.filter((command) => /^(download|flash|erase)|^oem (fuse prog|efuse blow)|lock$/.test(command))).toEqual([]);
    } finally {
      await run.close();
    }
  }, 90_000);

  it('lock: the readback says locked, so there is no second lock command and the handset ends provisioned and locked', async () => {
    const run = await provisionThrough(profile, 'LOCKOK', (dialect) => [lostOkay(dialect.lock)]);
    try {
      const outcome = await run.station.outcome(run.serial);
      const commands = await sim.fastboot(run.serial);
      expect(count(commands, run.dialect.lock), commands.join('\n')).toBe(1);
      expect(outcome, JSON.stringify(outcome.reason)).toMatchObject({ phase: 'provisioned' });
      const records = run.station.recordsOf(run.serial);
      expect(records.at(-1)).toMatchObject({ outcome: 'provisioned', locked: true, fusesBurned: POLICY_FUSES });
      expect(checkTrueToLog(commands, records, run.dialect)).toEqual([]);
    } finally {
      await run.close();
    }
  }, 90_000);

  it('lock: a readback lying "unlocked" is LOCK_UNCONFIRMED, with no second lock command', async () => {
    const run = await provisionThrough(profile, 'LOCKLIE', (dialect) => [
      lostOkay(dialect.lock),
      { on: 'response', answering: dialect.lockQuery, match: 'OKAY', action: { kind: 'rewrite', to: dialect.unlockedAnswer }, times: 'always' },
    ]);
    try {
      const outcome = await run.station.outcome(run.serial);
      const commands = await sim.fastboot(run.serial);
      expect(count(commands, run.dialect.lock), commands.join('\n')).toBe(1);
      expect(outcome.reason?.code, JSON.stringify(outcome)).toBe('LOCK_UNCONFIRMED');
      const records = run.station.recordsOf(run.serial);
      expect(records.at(-1)).toMatchObject({ outcome: 'failed', failedStep: 'lock', locked: false });
      expect(failureCode(records.at(-1))).toBe('LOCK_UNCONFIRMED');
      expect(checkTrueToLog(commands, records, run.dialect)).toEqual([]);
    } finally {
      await run.close();
    }
  }, 90_000);
});
