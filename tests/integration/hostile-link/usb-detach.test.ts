// The same rules over the simulated USB bus, both profiles: the handset carries out a command of the
// fuse or lock step and drops off the bus before its answer (the simulator's detach-after fault), then
// is plugged in again. It must end provisioned with each fuse bit programmed once and one lock, by its
// own command log, and a record true to that log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoKey } from '../../../src/main/bundle/demo-key.ts';
import { parseScenario } from '../../../src/sim/index.ts';
import { bitsBurnedTwice, openTestStation, SHORT_TIMEOUTS, type TestStation } from '../pipeline/fixture.ts';
import { checkTrueToLog, count, DIALECTS, failureCode, POLICY_FUSES, programmedBits, smallBundle, type Dialect } from './harness.ts';


/** Where the handset leaves the bus: after the step's first fuse read, after the program, after the lock. */
const POINTS = (dialect: Dialect): string[] => [dialect.fuseRead, dialect.fuseProgram, dialect.lock];

describe.each(['lockstep-ref', 'kestrel-k2'] as const)('%s over USB: the handset detaches after a fuse or lock command took effect', (profile) => {
  const dialect = DIALECTS[profile];
  const serials = POINTS(dialect).map((_, index) => `${profile === 'kestrel-k2' ? 'KUSB' : 'RUSB'}${index}`);
  const denier = `${profile === 'kestrel-k2' ? 'KUSB' : 'RUSB'}DENY`;
  let station: TestStation;

  beforeAll(async () => {
    station = await openTestStation({
      prefix: `lockstep-usb-detach-${profile}-`,
      bundle: (dir) => smallBundle(dir, profile, { signingKey: demoKey().privateKey, tag: 'usb', demo: true }),
      timeouts: SHORT_TIMEOUTS,
      scenario: parseScenario({
        devices: [
          ...POINTS(dialect).map((command, index) => ({
            serial: serials[index],
            model: profile,
            // Plugged in again by the operator a moment later.
            faults: [{ kind: 'detach-after', command, reattachAfterMs: 300 }],
          })),
          {
            serial: denier,
            model: profile,
            faults: [
              { kind: 'detach-after', command: dialect.fuseProgram, reattachAfterMs: 300 },
              // Its fuse reads deny the policy's bits whatever was burned.
              { kind: 'fuse-readback', ...dialect.word, clearBits: dialect.policyMask },
            ],
          },
        ],
      }),
    });
    await station.settled([...serials, denier], 90_000);
  }, 120_000);

  afterAll(async () => {
    await station?.close();
  });

  it.each(POINTS(dialect).map((command, index) => ({ command, index })))('after "$command": provisioned, each bit once, one lock, a true record', async ({ index }) => {
    const serial = serials[index] as string;
    const commands = await station.fastboot(serial);
    const log = commands.join('\n');
    expect(bitsBurnedTwice(commands), log).toEqual([]);
    expect(programmedBits(commands, dialect), log).toBe(dialect.policyMask);
    expect(count(commands, dialect.lock), log).toBe(1);
    // The fault struck: the handset left the bus, and the station identified it again when it came back.
    expect(count(commands, 'getvar:serialno'), log).toBeGreaterThanOrEqual(2);
    const records = station.records.log.latest({}, 1000).filter((record) => record.serial === serial);
    expect(records.at(-1), log).toMatchObject({ outcome: 'provisioned', fusesBurned: POLICY_FUSES, locked: true });
    expect(checkTrueToLog(commands, records, dialect)).toEqual([]);
  });

  it('after the program, with fuse reads that then deny the bits: FUSE_UNCONFIRMED, no second program and no lock', async () => {
    const commands = await station.fastboot(denier);
    const log = commands.join('\n');
    expect(count(commands, dialect.fuseProgram), log).toBe(1);
    expect(count(commands, dialect.lock), log).toBe(0);
    const records = station.records.log.latest({}, 1000).filter((record) => record.serial === denier);
    expect(records.at(-1), log).toMatchObject({ outcome: 'failed', failedStep: 'fuse', locked: false });
    expect(failureCode(records.at(-1)), records.at(-1)?.failureReason ?? '').toBe('FUSE_UNCONFIRMED');
    expect(checkTrueToLog(commands, records, dialect)).toEqual([]);
  });
});
