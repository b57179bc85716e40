// The lock step against a fake bootloader: the lock journaled as sent before it goes out and sent at
// most once; a lock sent before is decided by read-back alone; a lock found set without this station,
// and a lock that does not read back, are alarms.
import { describe, expect, it } from 'vitest';
import { lock } from '../../../src/main/pipeline/steps/lock.ts';
import { FakeBootloader, harness } from './step-harness.ts';

const locks = (bootloader: FakeBootloader): number => bootloader.commands.filter((command) => command === 'flashing lock').length;
const lockSent = [{ step: 'lock', status: 'started', code: null, data: { event: 'lock-sent' } }] as const;

describe('the lock step', () => {
  it('journals the lock as sent before it goes out, sends it once and proves it by read-back', async () => {
    const bootloader = new FakeBootloader();
    const { context, notes, facts } = harness('lock', { bootloader });
    let locksWhenJournaled = -1;
    const note = context.note;
    context.note = async (data, detail) => {
      locksWhenJournaled = locks(bootloader);
      await note(data, detail);
    };
    expect(await lock.run(context)).toMatchObject({ status: 'passed', data: { lockState: 'no', sent: true } });
    expect(locksWhenJournaled).toBe(0);
    expect(notes.map((entry) => entry.data)).toEqual([{ event: 'lock-sent' }]);
    expect(locks(bootloader)).toBe(1);
    expect(facts).toMatchObject({ locked: true, lockState: 'no' });
  });

  it('after a lost answer, passes on the read-back alone when the handset reads locked', async () => {
    const bootloader = new FakeBootloader();
    bootloader.vars.unlocked = 'no';
    expect(await lock.run(harness('lock', { bootloader, earlier: lockSent }).context)).toMatchObject({ status: 'passed', data: { lockState: 'no', sent: false } });
    expect(locks(bootloader)).toBe(0);
  });

  it('raises LOCK_UNCONFIRMED, sending nothing, when a lock sent before reads unlocked', async () => {
    const bootloader = new FakeBootloader();
    await expect(lock.run(harness('lock', { bootloader, earlier: lockSent }).context)).rejects.toMatchObject({ code: 'LOCK_UNCONFIRMED', data: { lockState: 'yes' } });
    expect(locks(bootloader)).toBe(0);
  });

  it('raises LOCK_FOUND_SET when the handset reads locked although this station never sent the lock', async () => {
    const bootloader = new FakeBootloader();
    const { context } = harness('lock', { bootloader });
    bootloader.vars.unlocked = 'no';
    await expect(lock.run(context)).rejects.toMatchObject({ code: 'LOCK_FOUND_SET' });
    expect(locks(bootloader)).toBe(0);
  });

  it('raises LOCK_READBACK_MISMATCH when the lock does not read back', async () => {
    const bootloader = new FakeBootloader();
    bootloader.lie = (command) => (command === 'flashing lock' ? ['OKAY'] : null);
    await expect(lock.run(harness('lock', { bootloader }).context)).rejects.toMatchObject({ code: 'LOCK_READBACK_MISMATCH', data: { lockState: 'yes' } });
    expect(locks(bootloader)).toBe(1);
  });

  it('stops with IDENTITY_CHANGED, having sent nothing, when the link answers as another product', async () => {
    const bootloader = new FakeBootloader();
    const { context } = harness('lock', { bootloader });
    bootloader.vars.product = 'kestrel-k2';
    await expect(lock.run(context)).rejects.toMatchObject({ code: 'IDENTITY_CHANGED' });
    expect(locks(bootloader)).toBe(0);
  });

  it('is skipped by a policy that leaves the bootloader unlocked', () => {
    expect(lock.skipReason?.(harness('lock', { lockBootloader: false }).context)).toMatch(/leaves the bootloader unlocked/);
  });
});
