// The flash step against a fake bootloader, from a real signed bundle: every partition erased and
// written from the verified image (slotted ones on the active boot slot), journaled as being written
// before the first byte goes out; a handset that already holds the bundle is not written again, and
// a locked one that does not is LOCKED_UNVERIFIED.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBundle } from '../../../src/main/bundle/create.ts';
import type { VerifiedBundle } from '../../../src/main/bundle/verify.ts';
import { classifyFailure } from '../../../src/main/pipeline/failure.ts';
import { flash } from '../../../src/main/pipeline/steps/flash.ts';
import { expectData, failure, FakeBootloader, harness, rejection, type EarlierEvent, type HarnessOptions } from './step-harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'lockstep-flash-step-'));
// Random bytes, so bundle create keeps them raw (a repetitive image would be stored re-sparsed, and
// this fake bootloader keeps what it is sent without expanding sparse images).
const BOOT = randomBytes(5000);
const VENDOR = randomBytes(3000);
let bundle: VerifiedBundle;

beforeAll(async () => {
  writeFileSync(join(dir, 'boot.img'), BOOT);
  writeFileSync(join(dir, 'vendor.img'), VENDOR);
  bundle = await createBundle({
    products: ['lockstep-ref'],
    hardwareRevisions: 'any',
    version: '1.0.0',
    partitions: [
      { name: 'boot', path: join(dir, 'boot.img'), sparse: false, bootSlot: 'active' },
      { name: 'vendor', path: join(dir, 'vendor.img'), sparse: false, bootSlot: 'none' },
    ],
    fuses: ['CAMERA_DISABLE', 'GPS_DISABLE'],
    lockBootloader: true,
    signingKeys: [generateKeyPairSync('ed25519').privateKey],
    out: join(dir, 'bundle'),
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const writing: EarlierEvent[] = [{ step: 'flash', status: 'started', code: null, data: { event: 'writing', targets: ['boot_a', 'vendor'] } }];
const writes = (bootloader: FakeBootloader): string[] => bootloader.commands.filter((command) => /^(erase|flash):/.test(command));

function setup(options: HarnessOptions & { bootloader?: FakeBootloader } = {}) {
  const bootloader = options.bootloader ?? new FakeBootloader();
  const released: string[] = [];
  const result = harness('flash', { ...options, bootloader, bundle });
  result.context.flashingPlace = async () => () => void released.push('place');
  return { bootloader, released, ...result };
}

describe('the flash step', () => {
  it('journals the targets as being written, then erases and writes each from the verified image, in a flashing place', async () => {
    const { context, bootloader, notes, facts, released } = setup();
    let writesWhenJournaled: string[] | null = null;
    const note = context.note;
    context.note = async (data, detail) => {
      writesWhenJournaled = writes(bootloader);
      await note(data, detail);
    };
    const outcome = await flash.run(context);
    expect(outcome).toEqual({ status: 'passed', data: { written: true, bytes: 8000 }, detail: '2 partition(s), 8000 bytes' });
    expectData('flash', 'passed', outcome.data);
    expect(notes).toEqual([{ data: { event: 'writing', targets: ['boot_a', 'vendor'] }, detail: 'boot_a, vendor' }]);
    expectData('flash', 'started', notes[0]?.data);
    expect(writesWhenJournaled).toEqual([]);
    expect(writes(bootloader)).toEqual(['erase:boot_a', 'flash:boot_a', 'erase:vendor', 'flash:vendor']);
    expect(bootloader.partitions.get('boot_a')?.equals(BOOT)).toBe(true);
    expect(bootloader.partitions.get('vendor')?.equals(VENDOR)).toBe(true);
    expect(released).toEqual(['place']);
    // An unlocked handset new to this batch is not asked for its hashes first: the verify step does that.
    expect(bootloader.commands.some((command) => command.startsWith('oem sha256'))).toBe(false);
    expect(facts.targets.map((target) => target.target)).toEqual(['boot_a', 'vendor']);
  });

  it('writes slotted partitions on the active boot slot', async () => {
    const bootloader = new FakeBootloader();
    bootloader.vars['current-slot'] = 'b';
    const { context, notes } = setup({ bootloader });
    await flash.run(context);
    expect(notes.map((entry) => entry.data)).toEqual([{ event: 'writing', targets: ['boot_b', 'vendor'] }]);
    expect(bootloader.partitions.get('boot_b')?.equals(BOOT)).toBe(true);
  });

  it('writes nothing to a handset an earlier attempt wrote whose partitions already read back the bundle', async () => {
    const bootloader = new FakeBootloader();
    bootloader.partitions.set('boot_a', BOOT).set('vendor', VENDOR);
    const { context, notes, facts, released } = setup({ bootloader, earlier: writing, facts: { verified: false } });
    const outcome = await flash.run(context);
    expect(outcome).toMatchObject({ status: 'passed', data: { written: false, bytes: 0 } });
    expectData('flash', 'passed', outcome.data);
    expect(writes(bootloader)).toEqual([]);
    expect(notes).toEqual([]);
    expect(released).toEqual([]);
    expect(facts).toMatchObject({ verified: true, partitions: [{ name: 'boot_a', sha256: bootloader.hashOf('boot_a', 5000) }, { name: 'vendor', sha256: bootloader.hashOf('vendor', 3000) }] });
  });

  it('writes again when an earlier attempt was cut short mid-write', async () => {
    const bootloader = new FakeBootloader();
    bootloader.partitions.set('boot_a', BOOT.subarray(0, 1000));
    const { context } = setup({ bootloader, earlier: writing, facts: { verified: false } });
    expect(await flash.run(context)).toMatchObject({ data: { written: true } });
    expect(bootloader.partitions.get('boot_a')?.equals(BOOT)).toBe(true);
  });

  it('passes a locked handset that already holds the bundle, writing nothing', async () => {
    const bootloader = new FakeBootloader();
    bootloader.vars.unlocked = 'no';
    bootloader.partitions.set('boot_a', BOOT).set('vendor', VENDOR);
    const { context } = setup({ bootloader, facts: { verified: false } });
    expect(await flash.run(context)).toMatchObject({ data: { written: false } });
    expect(writes(bootloader)).toEqual([]);
  });

  it('raises LOCKED_UNVERIFIED for a locked handset whose partitions do not hold the bundle, writing nothing', async () => {
    const bootloader = new FakeBootloader();
    bootloader.vars.unlocked = 'no';
    const { context, facts } = setup({ bootloader, facts: { verified: false } });
    const error = await failure(flash.run(context));
    expect(error.code).toBe('LOCKED_UNVERIFIED');
    expectData('flash', 'failed', error.data);
    expect(writes(bootloader)).toEqual([]);
    expect(facts.verified).toBe(false);
  });

  it('gives the flashing place back when the handset refuses a write, which stops it as DEVICE_REFUSED', async () => {
    const bootloader = new FakeBootloader();
    bootloader.refuse = /^flash:vendor$/;
    const { context, released } = setup({ bootloader });
    const error = await rejection(flash.run(context));
    expect(classifyFailure(error).code).toBe('DEVICE_REFUSED');
    expect(released).toEqual(['place']);
  });
});
