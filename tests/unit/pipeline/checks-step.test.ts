// The checks step against a fake AT port: every check of the profile is asked and judged and all are
// reported; any that fails stops the handset with every check's outcome as data, under the one code (and
// next action) that what the checks found and what the handset already is call for.
import { describe, expect, it } from 'vitest';
import { classifyFailure } from '../../../src/main/pipeline/failure.ts';
import { checks } from '../../../src/main/pipeline/steps/checks.ts';
import { isAlarm } from '../../../src/shared/failures.ts';
import type { CheckOutcome } from '../../../src/shared/step-events.ts';
import type { AtCheck } from '../../../src/shared/profile.ts';
import { expectData, failure, FakeAtPort, harness, referenceProfile, rejection } from './step-harness.ts';

/** What a handset is when it reaches its checks under the demo policy: both fuses burned, bootloader locked. */
const FUSED_AND_LOCKED = { fusesBurned: ['CAMERA_DISABLE', 'GPS_DISABLE'], locked: true };

const IDS = ['imei', 'firmware-version', 'camera-absent', 'gps-absent', 'gps-power-on-refused', 'bootloader-locked'];

describe('the checks step', () => {
  it('asks every check over the AT port, after AT answers OK, and journals each outcome', async () => {
    const port = new FakeAtPort();
    const { context, facts } = harness('checks', { atPort: port });
    const outcome = await checks.run(context);
    expect(outcome.status).toBe('passed');
    expectData('checks', 'passed', outcome.data);
    expect(outcome.data?.checks).toEqual([
      { id: 'imei', passed: true, answer: '490154203237518 | OK', value: '490154203237518' },
      { id: 'firmware-version', passed: true, answer: '1.0.0 | OK', value: '1.0.0' },
      { id: 'camera-absent', passed: true, answer: '+XCAPS: CAMERA=ABSENT,GPS=ABSENT | OK', value: null },
      { id: 'gps-absent', passed: true, answer: '+XCAPS: CAMERA=ABSENT,GPS=ABSENT | OK', value: null },
      { id: 'gps-power-on-refused', passed: true, answer: '+CME ERROR: 4', value: null },
      { id: 'bootloader-locked', passed: true, answer: '+XBLSTATE: LOCKED | OK', value: null },
    ]);
    expect(outcome.detail).toBe(IDS.map((id) => `${id}=pass`).join(' '));
    expect(port.commands).toEqual(['AT', 'AT+CGSN', 'AT+CGMR', 'AT+XCAPS?', 'AT+XCAPS?', 'AT+CGPS=1', 'AT+XBLSTATE?']);
    expect(port.closed).toBe(true);
    expect(facts.checks.find((check) => check.id === 'imei')?.value).toBe('490154203237518');
  });

  it('raises HANDSET_FAULTY with every outcome when the IMEI is not valid, telling why and sending it to the repair bench', async () => {
    const port = new FakeAtPort();
    port.answers.set('AT+CGSN', ['490154203237519', 'OK']);
    const { context } = harness('checks', { atPort: port, facts: FUSED_AND_LOCKED });
    const error = await failure(checks.run(context));
    expect(error.code).toBe('HANDSET_FAULTY');
    expect(error.message).toMatch(/^IMEI: 490154203237519 is not a valid IMEI/);
    expect(error.action).toMatch(/repair bench/);
    expectData('checks', 'failed', error.data);
    const journaled = (error.data as { checks: CheckOutcome[] }).checks;
    expect(journaled.map((check) => [check.id, check.passed])).toEqual(IDS.map((id) => [id, id !== 'imei']));
    // The handset's answer to the failed check is journaled with it.
    expect(journaled[0]).toEqual({ id: 'imei', passed: false, answer: '490154203237519 | OK', value: '490154203237519' });
    expect(port.closed).toBe(true);
  });

  it('reports every failing check, not only the first', async () => {
    const port = new FakeAtPort();
    port.answers.set('AT+CGMR', ['0.9.0', 'OK']).set('AT+XCAPS?', ['+XCAPS: CAMERA=PRESENT,GPS=ABSENT', 'OK']).set('AT+CGPS=1', ['OK']);
    const error = await failure(checks.run(harness('checks', { atPort: port, facts: FUSED_AND_LOCKED }).context));
    // The gravest finding decides: a GPS that powers on although its fuse is burned is an alarm.
    expect(error.code).toBe('CHECK_ALARM');
    const failed = (error.data as { checks: CheckOutcome[] }).checks.filter((check) => !check.passed);
    expect(failed).toEqual([
      { id: 'firmware-version', passed: false, answer: '0.9.0 | OK', value: '0.9.0' },
      { id: 'camera-absent', passed: false, answer: '+XCAPS: CAMERA=PRESENT,GPS=ABSENT | OK', value: null },
      { id: 'gps-power-on-refused', passed: false, answer: 'OK', value: null },
    ]);
    expect(error.message).toContain('the handset reports 0.9.0, the bundle is 1.0.0');
  });

  // One next action per failure, right for the handset: its own code (the operator's words), its station action, and a
  // record text that says what failed and never what to do (the profile's words say what a failure means, nothing more).
  it.each([
    ['an IMEI query answered with an error: asked again, it may answer', 'AT+CGSN', ['+CME ERROR: 10'], FUSED_AND_LOCKED, 'CHECK_FAILED', /^Retry the checks/],
    ['a power-on refused with another error than the check asks for', 'AT+CGPS=1', ['+CME ERROR: 10'], FUSED_AND_LOCKED, 'CHECK_FAILED', /^Retry the checks/],
    ['another firmware on a locked handset: not flashed again', 'AT+CGMR', ['0.9.0', 'OK'], FUSED_AND_LOCKED, 'FIRMWARE_MISMATCH', /supervisor: its partitions were verified/],
    ['a camera on a handset whose camera fuse is burned: an alarm', 'AT+XCAPS?', ['+XCAPS: CAMERA=PRESENT,GPS=ABSENT', 'OK'], FUSED_AND_LOCKED, 'CHECK_ALARM', /^Quarantine the handset/],
    ['a camera on a handset nothing was burned or locked on', 'AT+XCAPS?', ['+XCAPS: CAMERA=PRESENT,GPS=ABSENT', 'OK'], {}, 'UNEXPECTED_ANSWER', /profile and the bundle disagree/],
  ] as const)('%s: %s → its one next action', async (_story, command, answer, facts, code, action) => {
    const port = new FakeAtPort();
    port.answers.set(command, [...answer]);
    const error = await failure(checks.run(harness('checks', { atPort: port, facts }).context));
    expect(error.code).toBe(code);
    expect(isAlarm(error.code)).toBe(code === 'CHECK_ALARM');
    expect(error.action).toMatch(action);
    // The runner keeps the step's action: the operator, the CLI and the record hear one next action.
    expect(classifyFailure(error)).toMatchObject({ code, action: error.action });
    expect(error.message).not.toMatch(/retry|flash step|set it aside|quarantine|repair bench/i);
  });

  it('journals every answer escaped and bounded, and a captured value only within the grammar', async () => {
    const port = new FakeAtPort();
    const { context } = harness('checks', { atPort: port });
    // A profile whose checks capture whatever the handset says (the reference profile's patterns are strict).
    const loaded = referenceProfile();
    const capture = { ...(loaded.profile.at.checks[2] as AtCheck), pattern: '^(.+)$' };
    const asked = [
      { ...capture, id: 'hostile', command: 'AT+XHOSTILE' },
      { ...capture, id: 'long', command: 'AT+XLONG' },
      { ...capture, id: 'model', command: 'AT+CGMM' },
    ];
    context.link.profile = { ...loaded, profile: { ...loaded.profile, at: { ...loaded.profile.at, checks: asked } } };
    port.answers.set('AT+XHOSTILE', [`\x1b[2J${'\u202e'.repeat(2000)}`, 'OK']).set('AT+XLONG', ['x'.repeat(129), 'OK']).set('AT+CGMM', ['LS-REF 2', 'OK']);
    const outcome = await checks.run(context);
    expectData('checks', 'passed', outcome.data);
    const [hostile, long, model] = outcome.data?.checks ?? [];
    expect(hostile?.value).toBeNull();
    expect(hostile?.answer).toMatch(/^\\x1B\[2J(\\u202E)+/);
    expect(hostile?.answer).not.toContain('\x1b');
    expect(hostile?.answer).not.toContain('\u202e');
    expect(long).toMatchObject({ value: null, answer: `${'x'.repeat(129)} | OK` });
    expect(model).toEqual({ id: 'model', passed: true, answer: 'LS-REF 2 | OK', value: 'LS-REF 2' });
  });

  it('stops as UNEXPECTED_ANSWER, asking no check, when the port never answers AT with OK', async () => {
    const port = new FakeAtPort();
    port.answers.set('AT', ['ERROR']);
    const error = await rejection(checks.run(harness('checks', { atPort: port }).context));
    expect(classifyFailure(error).code).toBe('UNEXPECTED_ANSWER');
    expect(port.commands).toEqual(['AT', 'AT', 'AT']);
    expect(port.closed).toBe(true);
  });
});
