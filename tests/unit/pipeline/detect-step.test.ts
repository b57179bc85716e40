// The detect step against a fake bootloader: it opens the session in the slot and finds the profile
// by USB ids, or over TCP (no ids) by the product the handset names; no profile is NO_PROFILE.
import { describe, expect, it } from 'vitest';
import { detect } from '../../../src/main/pipeline/steps/detect.ts';
import { expectData, failure, FakeBootloader, harness } from './step-harness.ts';

describe('the detect step', () => {
  it('finds the profile by the USB ids and hands the profiled session on through the link', async () => {
    const bootloader = new FakeBootloader();
    const { context } = harness('detect', { bootloader, linked: false });
    const outcome = await detect.run(context);
    expect(outcome).toEqual({ status: 'passed', data: { profile: 'lockstep-ref' }, detail: 'slot 1-1.1, profile lockstep-ref' });
    expectData('detect', 'passed', outcome.data);
    // The ids decided: the handset was not asked anything.
    expect(bootloader.commands).toEqual([]);
    expect(context.link.profile?.profile.id).toBe('lockstep-ref');
    expect(await context.link.fastboot?.readSerialAndProduct()).toEqual({ serial: 'LSUT0001', product: 'lockstep-ref' });
  });

  it('over TCP, where there are no USB ids, asks the handset its product', async () => {
    const bootloader = new FakeBootloader();
    const { context } = harness('detect', { bootloader, linked: false, presence: { vendorId: null, productId: null } });
    expect(await detect.run(context)).toMatchObject({ status: 'passed', data: { profile: 'lockstep-ref' } });
    expect(bootloader.commands).toEqual(['getvar:product']);
  });

  it('raises NO_PROFILE when no profile matches, leaving the link without a session', async () => {
    const { context } = harness('detect', { linked: false, profile: null });
    const error = await failure(detect.run(context));
    expect(error.code).toBe('NO_PROFILE');
    expectData('detect', 'failed', error.data);
    expect(context.link.fastboot).toBeNull();
    expect(context.link.profile).toBeNull();
  });

  it('refuses to run without a handset in fastboot', async () => {
    const { context } = harness('detect', { linked: false });
    context.link.presence = null;
    await expect(detect.run(context)).rejects.toThrow(/needs the handset in fastboot/);
  });
});
