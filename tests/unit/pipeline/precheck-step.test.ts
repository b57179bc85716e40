// The precheck step on the identify step's readback: the bundle fits the handset and the handset is
// fit to be written, or it stops with the code that says why, having sent nothing.
import { describe, expect, it } from 'vitest';
import { precheck } from '../../../src/main/pipeline/steps/precheck.ts';
import { expectData, failure, FakeBootloader, harness, type HarnessOptions } from './step-harness.ts';

/** A handset with `vars` over the reference one, under a bundle as `options` say. */
function setup(vars: Record<string, string>, options: HarnessOptions = {}) {
  const bootloader = new FakeBootloader();
  Object.assign(bootloader.vars, vars);
  return { bootloader, ...harness('precheck', { bootloader, ...options }) };
}

describe('the precheck step', () => {
  it('passes a handset the bundle fits, with no data and without asking it anything', async () => {
    const { context, bootloader } = setup({}, { manifest: { hardwareRevisions: ['B1', 'B2'], minBootloaderVersion: 'LSBL-1.0.0' } });
    const outcome = await precheck.run(context);
    expect(outcome).toEqual({ status: 'passed', data: null, detail: null });
    expectData('precheck', 'passed', outcome.data);
    expect(bootloader.commands).toEqual([]);
  });

  it.each([
    ['WRONG_PRODUCT', {}, { products: ['kestrel-k2'] }, /this bundle is for kestrel-k2/],
    ['WRONG_HARDWARE_REVISION', {}, { hardwareRevisions: ['B1'] }, /hardware revision B2; this bundle supports B1/],
    ['BOOTLOADER_TOO_OLD', {}, { minBootloaderVersion: 'LSBL-1.10.0' }, /bootloader LSBL-1.4.2 is older than the LSBL-1.10.0/],
    ['WRONG_PRODUCT', { product: 'kestrel-k2' }, { products: ['kestrel-k2'] }, /not one its profile lockstep-ref covers/],
    ['BATTERY_UNKNOWN', { 'battery-voltage': '4.1V' }, {}, /reports its battery as '4.1V', not millivolts/],
    ['BATTERY_LOW', { 'battery-voltage': '3650' }, {}, /3650 mV, below the 3700 mV/],
    ['LOCK_STATE_UNKNOWN', { unlocked: 'maybe' }, {}, /lock state as 'maybe'/],
    ['ARRIVES_LOCKED', { unlocked: 'no' }, {}, /arrived with its bootloader locked/],
  ] as const)('raises %s (%j, bundle %j)', async (code, vars, manifest, message) => {
    const { context, bootloader } = setup(vars, { manifest });
    const error = await failure(precheck.run(context));
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(error.action).toMatch(/^Nothing was written/);
    expectData('precheck', 'failed', error.data);
    expect(bootloader.commands).toEqual([]);
  });

  it('names the first misfit and tells every one of them', async () => {
    const { context } = setup({}, { manifest: { products: ['kestrel-k2'], hardwareRevisions: ['B1'] } });
    const error = await failure(precheck.run(context));
    expect(error.code).toBe('WRONG_PRODUCT');
    expect(error.message).toMatch(/kestrel-k2.*hardware revision B2/);
  });

  it('raises UNKNOWN_FUSE for a policy fuse the profile does not define', async () => {
    const { context } = setup({}, { fuses: ['CAMERA_DISABLE', 'NFC_DISABLE'] });
    expect(await failure(precheck.run(context))).toMatchObject({ code: 'UNKNOWN_FUSE', message: expect.stringContaining('NFC_DISABLE') });
  });

  it('passes a locked handset when this station sent its lock in an earlier attempt', async () => {
    const { context } = setup({ unlocked: 'no' }, { earlier: [{ step: 'lock', status: 'started', code: null, data: { event: 'lock-sent' } }] });
    expect(await precheck.run(context)).toMatchObject({ status: 'passed' });
  });

  it('shows a hostile battery answer escaped', async () => {
    const { context } = setup({ 'battery-voltage': '\x1b[31m4100' });
    const error = await failure(precheck.run(context));
    expect(error.code).toBe('BATTERY_UNKNOWN');
    expect(error.message).not.toContain('\x1b');
  });
});
