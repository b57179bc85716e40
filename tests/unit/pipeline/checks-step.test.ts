// The checks step against a fake AT port: every check of the profile is asked and judged and all are
// reported; any that fails stops the handset as CHECK_FAILED with every check's outcome as data.
import { describe, expect, it } from 'vitest';
import { classifyFailure } from '../../../src/main/pipeline/failure.ts';
import { checks } from '../../../src/main/pipeline/steps/checks.ts';
import { expectData, failure, FakeAtPort, harness } from './step-harness.ts';

const IDS = ['imei', 'firmware-version', 'camera-absent', 'gps-absent', 'gps-power-on-refused', 'bootloader-locked'];

describe('the checks step', () => {
  it('asks every check over the AT port, after AT answers OK, and journals each outcome', async () => {
    const port = new FakeAtPort();
    const { context, facts } = harness('checks', { atPort: port });
    const outcome = await checks.run(context);
    expect(outcome.status).toBe('passed');
    expectData('checks', 'passed', outcome.data);
    expect(outcome.data?.checks.map((check) => [check.id, check.passed])).toEqual(IDS.map((id) => [id, true]));
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
    expect((error.data as { checks: { id: string; passed: boolean }[] }).checks.map((check) => [check.id, check.passed])).toEqual(IDS.map((id) => [id, id !== 'imei']));
    expect(port.closed).toBe(true);
  });

  it('reports every failing check, not only the first', async () => {
    const port = new FakeAtPort();
    port.answers.set('AT+CGMR', ['0.9.0', 'OK']).set('AT+XCAPS?', ['+XCAPS: CAMERA=PRESENT,GPS=ABSENT', 'OK']).set('AT+CGPS=1', ['OK']);
    const error = await failure(checks.run(harness('checks', { atPort: port }).context));
    expect(error.code).toBe('CHECK_FAILED');
    const failed = (error.data as { checks: { id: string; passed: boolean }[] }).checks.filter((check) => !check.passed).map((check) => check.id);
    expect(failed).toEqual(['firmware-version', 'camera-absent', 'gps-power-on-refused']);
    expect(error.message).toContain('the handset reports 0.9.0, the bundle is 1.0.0');
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
