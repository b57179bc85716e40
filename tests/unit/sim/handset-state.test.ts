import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSimFleet, defaultScenario } from '../../../src/sim/index.ts';
import { handsetDirectoryName, HandsetState, StateFileError } from '../../../src/sim/handset-state.ts';

const work = mkdtempSync(join(tmpdir(), 'lockstep-state-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const factory = { unlocked: true, fuses: [{ bank: 3, word: 0, value: 1 }] };

describe('handset state', () => {
  it('keeps a hostile serial number out of the path: a tame prefix and a hash', () => {
    for (const serial of ['../../etc/passwd', '/abs', 'a\x00b', '=cmd|', 'X'.repeat(100_000), '', '..']) {
      const name = handsetDirectoryName(serial);
      expect(name).toMatch(/^[A-Za-z0-9_-]{1,32}-[0-9a-f]{16}$/);
    }
    expect(handsetDirectoryName('a/b')).not.toBe(handsetDirectoryName('a_b'));
  });

  it('serialises concurrent fuse programming, so no burned bit is lost', async () => {
    const state = await HandsetState.open(work, 'CONCURRENT', factory);
    await Promise.all([0x10, 0x20, 0x40, 0x80].map((mask) => state.programFuse(3, 0, mask)));
    expect(state.fuseWord(3, 0)).toBe(0xf1);
    expect((await HandsetState.open(work, 'CONCURRENT', { unlocked: true, fuses: [] })).fuseWord(3, 0)).toBe(0xf1);
  });

  it('stops on a damaged state file instead of resetting fuses to factory state', async () => {
    const state = await HandsetState.open(work, 'DAMAGED', factory);
    writeFileSync(join(state.directory, 'state.json'), '{"format":1,"serial":"DAMAGED"');
    await expect(HandsetState.open(work, 'DAMAGED', factory)).rejects.toThrow(StateFileError);
    await expect(HandsetState.open(work, 'DAMAGED', factory)).rejects.toThrow(/delete .* to return this virtual handset to factory state/);
    expect(readdirSync(state.directory)).toEqual(['state.json']);
  });
});

describe('state directory ownership', () => {
  it('refuses a second simulator on the same handset folder until the first closes, and takes over a dead owner’s claim', async () => {
    const stateDir = join(work, 'owned');
    const first = await createSimFleet({ scenario: defaultScenario(1), stateDir });
    await expect(createSimFleet({ scenario: defaultScenario(2), stateDir })).rejects.toThrow(/virtual handset LSIM0001 is already run by process \d+/);
    await first.close();
    // A process id far above any kernel's pid_max stands for an owner that crashed long ago.
    writeFileSync(join(stateDir, handsetDirectoryName('LSIM0001'), 'owner.pid'), '2147483646');
    const second = await createSimFleet({ scenario: defaultScenario(2), stateDir });
    expect(second.handsets.map((handset) => handset.serial)).toEqual(['LSIM0001', 'LSIM0002']);
    await second.close();
  });
});
