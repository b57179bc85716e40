// Checks: over the booted handset's AT port, every check of its profile is asked and judged, and all
// are reported, so the operator sees the whole picture.
import { CHECK_VALUE, type CheckOutcome } from '../../../shared/step-events.ts';
import { runAtChecks, syncAt, type AtCheckResult } from '../../handset/at-checks.ts';
import type { FailureCode } from '../../../shared/failures.ts';
import { StepFailure } from '../failure.ts';
import type { RunFacts } from '../run-facts.ts';
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
      const { code, action } = nextAction(failed, context.facts);
      // The UI words each failed check by its profile's title and what its failure means, in the operator's language.
      throw new StepFailure(code, failed.map((check) => check.reason).join(' '), action, { checks: outcomes }, {
        detail: 'CHECK_FAILED',
        params: { checks: failed.map((check) => check.id).join(',') },
      });
    }
    return { status: 'passed', data: { checks: outcomes }, detail: summary };
  },
};

/**
 * The one next action for failed checks, and the code that carries it to the records and the operator's
 * words: what the checks found (the profile's `finding`, as data) and what the handset already is (this
 * attempt's facts). The gravest finding decides: the running system contradicting a fuse or lock this
 * handset carries is an alarm and quarantines it; another system than the verified bundle, or a faulty
 * handset, is not mended by asking again; only checks the handset did not answer are worth asking again.
 */
export function nextAction(failed: readonly AtCheckResult[], facts: RunFacts): { readonly code: FailureCode; readonly action: string } {
  const found = new Set(failed.map((check) => check.finding));
  const carriesIrreversible = facts.locked || facts.fusesBurned.length > 0 || facts.fusesFoundSet.length > 0;
  if (found.has('security') && carriesIrreversible) {
    return { code: 'CHECK_ALARM', action: 'Quarantine the handset and hand it to the security officer with its record; it gets no further writes.' };
  }
  // Nothing burned or locked for the running system to contradict: the profile's checks and the bundle's policy disagree.
  if (found.has('security')) return { code: 'UNEXPECTED_ANSWER', action: 'Set the handset aside and tell the supervisor: the device profile and the bundle disagree.' };
  if (found.has('firmware')) {
    return { code: 'FIRMWARE_MISMATCH', action: 'Set the handset aside and tell the supervisor: its partitions were verified, so flashing it again would not change what it runs.' };
  }
  if (found.has('defect')) return { code: 'HANDSET_FAULTY', action: 'Set the handset aside for the repair bench; do not ship it.' };
  return { code: 'CHECK_FAILED', action: 'Retry the checks (nothing is flashed, burned or locked again); if they fail again, set the handset aside and tell the supervisor.' };
}

/** A check as the journal keeps it: its outcome and the handset's answer; a captured value only within the journal's grammar. */
function outcomeOf(check: AtCheckResult): CheckOutcome {
  const value = check.value !== null && CHECK_VALUE.test(check.value) ? check.value : null;
  return { id: check.id, passed: check.passed, answer: check.answer, value };
}
