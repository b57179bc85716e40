// The reboot step against a fake bootloader: the handset is rebooted, its fastboot session released,
// and it must come back as an AT port within the profile's time (REBOOT_TIMEOUT otherwise); a handset
// met already booted after a station restart passes with the port it was found behind.
import { describe, expect, it } from 'vitest';
import { StepFailure } from '../../../src/main/pipeline/failure.ts';
import { reboot } from '../../../src/main/pipeline/steps/reboot.ts';
import { atPresence, expectData, failure, FakeBootloader, harness } from './step-harness.ts';

describe('the reboot step', () => {
  it('reboots the handset, releases fastboot and waits the profile\'s time for its AT port', async () => {
    const bootloader = new FakeBootloader();
    const { context, facts, phases } = harness('reboot', { bootloader });
    const waits: number[] = [];
    context.waitForAtPort = async (timeoutMs) => (waits.push(timeoutMs), atPresence('/dev/ttyACM3'));
    const outcome = await reboot.run(context);
    expect(outcome).toEqual({ status: 'passed', data: { atPort: '/dev/ttyACM3', foundBooted: false }, detail: 'AT port /dev/ttyACM3' });
    expectData('reboot', 'passed', outcome.data);
    expect(bootloader.commands).toEqual(['reboot']);
    expect(waits).toEqual([90_000]);
    expect(phases).toEqual(['waiting-for-handset', 'running']);
    expect(context.link.fastboot).toBeNull();
    expect(context.link.atPort?.path).toBe('/dev/ttyACM3');
    expect(facts.atPort).toBe('/dev/ttyACM3');
  });

  it('passes a handset found booted after a station restart without rebooting it', async () => {
    const bootloader = new FakeBootloader();
    const { context, facts } = harness('reboot', { bootloader });
    context.link.atPort = atPresence('/dev/ttyACM\x1b7');
    const outcome = await reboot.run(context);
    expect(outcome).toMatchObject({ status: 'passed', data: { atPort: '/dev/ttyACM\x1b7', foundBooted: true } });
    expectData('reboot', 'passed', outcome.data);
    expect(outcome.detail).toBe('found booted behind AT port /dev/ttyACM\\x1B7 after a station restart');
    expect(bootloader.commands).toEqual([]);
    expect(facts.atPort).toBe('/dev/ttyACM\x1b7');
  });

  it('raises REBOOT_TIMEOUT when no AT port answers for the handset in time', async () => {
    const { context } = harness('reboot');
    context.waitForAtPort = () => Promise.reject(new Error('no port'));
    const error = await failure(reboot.run(context));
    expect(error.code).toBe('REBOOT_TIMEOUT');
    expect(error.message).toBe('the handset did not come back as an AT port within 90 s of rebooting');
    expectData('reboot', 'failed', error.data);
  });

  it("keeps the code of a finding the wait itself raised (an AT port that contradicts another)", async () => {
    const { context } = harness('reboot');
    const finding = new StepFailure('AT_PORT_CONFLICT', 'two ports claim the handset', 'Quarantine it.');
    context.waitForAtPort = () => Promise.reject(finding);
    expect(await failure(reboot.run(context))).toBe(finding);
  });
});
