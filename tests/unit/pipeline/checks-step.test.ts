// The checks step against a fake AT port: every check of the profile is asked and judged and all are
// reported; any that fails stops the handset as CHECK_FAILED with every check's outcome as data.
import { describe, expect, it } from 'vitest';
import { classifyFailure } from '../../../src/main/pipeline/failure.ts';
import { checks } from '../../../src/main/pipeline/steps/checks.ts';
import type { CheckOutcome } from '../../../src/shared/step-events.ts';
import type { AtCheck } from '../../../src/shared/profile.ts';
import { expectData, failure, FakeAtPort, harness, referenceProfile } from './step-harness.ts';

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

  it('raises CHECK_FAILED with every outcome when one fails, telling why', async () => {
    const port = new FakeAtPort();
    port.answers.set('AT+CGSN', ['490154203237519', 'OK']);
    const { context } = harness('checks', { atPort: port });
    const error = await failure(checks.run(context));
    expect(error.code).toBe('CHECK_FAILED');
    expect(error.message).toMatch(/^IMEI: 490154203237519 is not a valid IMEI/);
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
    const error = await failure(checks.run(harness('checks', { atPort: port }).context));
    expect(error.code).toBe('CHECK_FAILED');
    const failed = (error.data as { checks: CheckOutcome[] }).checks.filter((check) => !check.passed);
    expect(failed).toEqual([
      { id: 'firmware-version', passed: false, answer: '0.9.0 | OK', value: '0.9.0' },
      { id: 'camera-absent', passed: false, answer: '+XCAPS: CAMERA=PRESENT,GPS=ABSENT | OK', value: null },
      { id: 'gps-power-on-refused', passed: false, answer: 'OK', value: null },
    ]);
    expect(error.message).toContain('the handset reports 0.9.0, the bundle is 1.0.0');
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
    const error = await checks.run(harness('checks', { atPort: port }).context).then(() => null, (thrown: unknown) => thrown);
    expect(classifyFailure(error).code).toBe('UNEXPECTED_ANSWER');
    expect(port.commands).toEqual(['AT', 'AT', 'AT']);
    expect(port.closed).toBe(true);
  });
});
