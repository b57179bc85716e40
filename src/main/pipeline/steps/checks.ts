// Checks: over the booted handset's AT port, every check of its profile is asked and judged, and all
// are reported, so the operator sees the whole picture.
import { CHECK_VALUE, type CheckOutcome } from '../../../shared/step-events.ts';
import { runAtChecks, syncAt, type AtCheckResult } from '../../handset/at-checks.ts';
import { StepFailure } from '../failure.ts';
import type { Step } from '../step.ts';

export const checks: Step<'checks'> = {
  name: 'checks',
  irreversible: false,
  async run(context) {
    const profile = context.link.profile?.profile;
    if (!profile) throw new Error('the checks step needs the handset\'s profile');
    const client = await context.openAt();
    try {
      await syncAt(client, profile, context.signal);
      context.facts.checks = await runAtChecks(client, profile, { bundleVersion: context.batch.bundle.manifest.version }, context.signal);
    } finally {
      await client.close();
    }
    const outcomes = context.facts.checks.map(outcomeOf);
    const summary = context.facts.checks.map((check) => `${check.id}=${check.passed ? 'pass' : 'FAIL'}`).join(' ');
    const failed = context.facts.checks.filter((check) => !check.passed);
    if (failed.length > 0) {
      throw new StepFailure(
        'CHECK_FAILED',
        failed.map((check) => check.reason).join(' '),
        'The handset is already flashed, fused and locked: retry the checks only; if they fail again, set the handset aside and tell the supervisor.',
        { checks: outcomes },
        // The UI words each failed check by its profile's title and advice in the operator's language.
        { params: { checks: failed.map((check) => check.id).join(',') } },
      );
    }
    return { status: 'passed', data: { checks: outcomes }, detail: summary };
  },
};

/** A check as the journal keeps it: its outcome and the handset's answer; a captured value only within the journal's grammar. */
function outcomeOf(check: AtCheckResult): CheckOutcome {
  const value = check.value !== null && CHECK_VALUE.test(check.value) ? check.value : null;
  return { id: check.id, passed: check.passed, answer: check.answer, value };
}
