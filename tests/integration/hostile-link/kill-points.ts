// The kill test, shared by one file per profile (so the two run side by side): `lockstep provision`
// is SIGKILLed at each boundary of the fuse and lock steps that the link can see (the proxy holds the
// packet there, the test kills the station, the packet never arrives), then started again on the same
// database and handset. The journal writes sit between those packets: "sent" is synced before the
// command leaves and "acknowledged" / "passed" after its answer came, so holding the fuse read, the
// command, its OKAY and the packet after the next journal write kills before and after each of them. Across both runs no fuse bit is programmed twice and the lock is sent at most
// once, by the handset's own log, and the final record is true to that log.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bitsBurnedTwice } from '../pipeline/fixture.ts';
import { FastbootProxy, type ProxyRule } from '../../support/fastboot-proxy.ts';
import {
  checkTrueToLog,
  count,
  DIALECTS,
  makeBundles,
  POLICY_FUSES,
  programmedBits,
  provisionCli,
  recordsIn,
  startSim,
  stationDbTemplate,
  type Bundles,
  type Dialect,
  type ProfileId,
  type SimProcess,
} from './harness.ts';

interface KillPoint {
  readonly name: string;
  readonly rule: (dialect: Dialect) => ProxyRule;
  /**
   * What the second run must end in. Killed after journaling "sent" but before the command reached the
   * handset, the station cannot tell an unsent command from one the handset took and did not carry out:
   * the read-back shows it undone, so it is an alarm and the command is never sent again.
   */
  readonly alarm?: 'FUSE_UNCONFIRMED' | 'LOCK_UNCONFIRMED';
}

const KILL_POINTS: readonly KillPoint[] = [
  { name: 'the fuse read before programming', rule: (dialect) => ({ on: 'command', match: dialect.fuseRead, action: { kind: 'hold' } }) },
  {
    name: 'the fuse program command, before it reaches the handset',
    rule: (dialect) => ({ on: 'command', match: dialect.fuseProgram, action: { kind: 'hold' } }),
    alarm: 'FUSE_UNCONFIRMED',
  },
  { name: 'the OKAY of the fuse program, before it reaches the station', rule: (dialect) => ({ on: 'response', answering: dialect.fuseProgram, match: 'OKAY', action: { kind: 'hold' } }) },
  {
    name: 'the read-back after the program, its acknowledgement journaled',
    rule: (dialect) => ({ on: 'command', match: dialect.fuseRead, skip: 1, action: { kind: 'hold' } }),
  },
  {
    name: 'the lock command, before it reaches the handset',
    rule: (dialect) => ({ on: 'command', match: dialect.lock, action: { kind: 'hold' } }),
    alarm: 'LOCK_UNCONFIRMED',
  },
  { name: 'the OKAY of the lock, before it reaches the station', rule: (dialect) => ({ on: 'response', answering: dialect.lock, match: 'OKAY', action: { kind: 'hold' } }) },
  { name: 'the reboot, the lock journaled as passed', rule: () => ({ on: 'command', match: 'reboot', action: { kind: 'hold' } }) },
];

export function killTest(profile: ProfileId): void {
  const dialect = DIALECTS[profile];
  const serialOf = (index: number): string => `${profile === 'kestrel-k2' ? 'KKILL' : 'RKILL'}${index}`;
  let dir: string;
  let bundles: Bundles;
  let sim: SimProcess;
  let db: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `lockstep-kill-${profile}-`));
    bundles = await makeBundles(dir);
    db = stationDbTemplate(dir)('station');
    sim = await startSim(
      join(dir, 'sim'),
      KILL_POINTS.map((_, index) => ({ serial: serialOf(index), model: profile })),
    );
  }, 120_000);

  afterAll(async () => {
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe(`${profile}: lockstep provision SIGKILLed at a step boundary, then started again`, () => {
    it.each(KILL_POINTS.map((point, index) => ({ ...point, index })))('at $name: each bit programmed at most once, one lock at most, a true record', async ({ rule, alarm, index }) => {
      const serial = serialOf(index);
      const proxy = await FastbootProxy.start({ port: sim.ports[index] as number }, [rule(dialect)]);
      const dataDir = join(dir, `data-${index}`);
      mkdirSync(dataDir, { recursive: true });
      const options = { dataDir, db, bundle: bundles.bundle[profile], trustDir: bundles.trustDir, tcp: [proxy.endpoint], serial: [sim.atPath(serial)], expect: 1 };
      try {
        const first = provisionCli(options);
        const held = await Promise.race([
          proxy.nextHold(),
          first.done.then((end) => {
            throw new Error(`lockstep provision ended (${end.status}) before the kill point:\n${end.stderr}`);
          }),
        ]);
        first.child.kill('SIGKILL');
        const killed = await first.done;
        held.close();
        expect(killed.signal).toBe('SIGKILL');

        const second = provisionCli(options);
        const end = await second.done;
        const commands = await sim.fastboot(serial);
        const log = commands.join('\n');
        expect(bitsBurnedTwice(commands), log).toEqual([]);
        expect(count(commands, dialect.lock), log).toBeLessThanOrEqual(1);
        const records = recordsIn(db, serial);
        const shown = `${end.stderr}\n${end.stdout.split('\n').slice(-4).join('\n')}`;
        if (alarm === undefined) {
          expect(end.status, shown).toBe(0);
          expect(programmedBits(commands, dialect), log).toBe(dialect.policyMask);
          expect(count(commands, dialect.lock), log).toBe(1);
          expect(records.filter((record) => record.outcome === 'provisioned')).toHaveLength(1);
          expect(records.at(-1)).toMatchObject({ outcome: 'provisioned', fusesBurned: POLICY_FUSES, locked: true });
        } else {
          // The held command never reached the handset, and no second run sends it: quarantined instead.
          expect(end.status, shown).not.toBe(0);
          expect(end.stdout, shown).toContain(`"code":"${alarm}"`);
          expect(programmedBits(commands, dialect), log).toBe(alarm === 'FUSE_UNCONFIRMED' ? 0 : dialect.policyMask);
          expect(count(commands, dialect.lock), log).toBe(0);
          expect(records.filter((record) => record.outcome === 'provisioned')).toEqual([]);
          expect(records.at(-1)).toMatchObject({
            outcome: 'failed',
            fusesBurned: alarm === 'FUSE_UNCONFIRMED' ? [] : POLICY_FUSES,
            locked: false,
          });
        }
        expect(checkTrueToLog(commands, records, dialect)).toEqual([]);
      } finally {
        await proxy.close();
      }
    }, 120_000);
  });
}
