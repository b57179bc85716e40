// The identify step against a fake bootloader: it reads the identity, registers the handset under its
// serial before judging it (so a refusal is journaled against it), and refuses a serial it cannot
// trust, a handset whose USB and fastboot serials differ, and a handset an earlier attempt quarantined.
import { describe, expect, it } from 'vitest';
import { identify } from '../../../src/main/pipeline/steps/identify.ts';
import { expectData, failure, FakeBootloader, harness, identityOf, SERIAL, type EarlierEvent } from './step-harness.ts';

const IDENTITY = { serial: SERIAL, product: 'lockstep-ref', hwRevision: 'B2', bootloaderVersion: 'LSBL-1.4.2', lockState: 'yes', unlocked: 'true', batteryMillivolts: '4100' };

describe('the identify step', () => {
  it('reads the identity, registers the handset under its serial and journals the readback as text values', async () => {
    const bootloader = new FakeBootloader();
    const { context, facts, registered } = harness('identify', { bootloader, facts: { identity: null } });
    const outcome = await identify.run(context);
    expect(outcome).toEqual({ status: 'passed', data: { identity: IDENTITY }, detail: 'LSUT0001, lockstep-ref (profile lockstep-ref)' });
    expectData('identify', 'passed', outcome.data);
    expect(registered).toEqual([SERIAL]);
    expect(facts.identity).toEqual(identityOf(bootloader));
  });

  it('says when the records already hold the handset as provisioned, so nothing is left to do', async () => {
    const { context } = harness('identify', { provisionedSeq: 12 });
    expect(await identify.run(context)).toMatchObject({ status: 'passed', provisioned: 12 });
  });

  it('raises SERIAL_INVALID for a serial outside the grammar, registered as it came so the refusal is journaled', async () => {
    const bootloader = new FakeBootloader();
    bootloader.vars.serialno = 'LS\x1b[2J 01';
    const { context, registered } = harness('identify', { bootloader });
    const error = await failure(identify.run(context));
    expect(error.code).toBe('SERIAL_INVALID');
    expect(error.message).not.toContain('\x1b');
    expectData('identify', 'failed', error.data);
    expect(registered).toEqual(['LS\x1b[2J 01']);
  });

  it('raises SERIAL_MISMATCH when the USB descriptor names another serial than fastboot does, registering the USB one', async () => {
    const { context, registered } = harness('identify', { presence: { serial: 'LSUT0009' } });
    const error = await failure(identify.run(context));
    expect(error).toMatchObject({ code: 'SERIAL_MISMATCH', data: null });
    expect(error.message).toContain('LSUT0001 over fastboot but LSUT0009 on USB');
    expect(registered).toEqual(['LSUT0009']);
  });

  it('passes a handset whose USB serial agrees with fastboot', async () => {
    const { context, registered } = harness('identify', { presence: { serial: SERIAL } });
    expect(await identify.run(context)).toMatchObject({ status: 'passed' });
    expect(registered).toEqual([SERIAL]);
  });

  it('raises QUARANTINED for a handset an earlier attempt raised an alarm on, naming the alarm', async () => {
    const earlier: EarlierEvent[] = [
      { step: 'fuse', status: 'failed', code: 'FUSES_FOUND_SET', data: { finding: 'found-set', fuses: ['CAMERA_DISABLE'], words: [{ bank: 3, word: 0, value: 0x11 }] }, detail: 'ALARM: found set' },
    ];
    const error = await failure(identify.run(harness('identify', { earlier }).context));
    expect(error.code).toBe('QUARANTINED');
    expect(error.message).toContain('FUSES_FOUND_SET');
    expectData('identify', 'failed', error.data);
  });

  it('raises QUARANTINED for a handset whose journal holds an event an older station wrote that could not be read as data', async () => {
    const earlier: EarlierEvent[] = [{ step: 'fuse', status: 'started', code: null, data: null, detail: 'burned something, reworded', unconverted: true }];
    const error = await failure(identify.run(harness('identify', { earlier }).context));
    expect(error.code).toBe('QUARANTINED');
    expect(error.message).toContain('fuse started');
  });

  it('refuses to run before the detect step opened the session', async () => {
    await expect(identify.run(harness('identify', { linked: false }).context)).rejects.toThrow(/needs the fastboot session/);
  });
});
