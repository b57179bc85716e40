// Lock: lock the bootloader at most once, only on the handset identified and verified in this
// attempt, and prove it by reading the lock state back. The lock is journaled as sent before it goes
// out; an attempt that finds it sent before lets the read-back decide: locked is done, unlocked is an
// alarm, and the lock is never sent twice.
import { displaySafe } from '../../../shared/untrusted.ts';
import { StepFailure } from '../failure.ts';
import type { Step } from '../step.ts';
import { confirmIdentity, fastbootOf } from './handset-access.ts';

const QUARANTINE = 'Quarantine the handset now and hand it to the security officer with this message; a supervisor decides what happens to it.';

export const lock: Step<'lock'> = {
  name: 'lock',
  irreversible: true,
  skipReason: (context) => (context.batch.bundle.manifest.policy.lockBootloader ? null : 'the bundle policy leaves the bootloader unlocked'),
  async run(context) {
    const { fastboot, profile: loaded } = fastbootOf(context);
    const { facts, signal } = context;
    const profile = loaded.profile;
    if (!facts.verified) throw new Error('the lock step runs only after the verify step passed in the same attempt');
    const readState = (): Promise<string> => fastboot.client.getvar(profile.identity.lockState, { signal, timeoutMs: profile.timeouts.commandMs });
    const isLocked = (state: string): boolean => state === profile.lockStateValues.locked;
    await confirmIdentity(context);
    const before = await readState();
    const grant = context.decision?.authorised ? context.decision.authorisationId : null;
    if (context.history().lockSent) {
      if (!isLocked(before)) {
        throw new StepFailure(
          'LOCK_UNCONFIRMED',
          `ALARM: the lock was sent to this handset in an earlier attempt whose answer was lost or refused, and it reads '${displaySafe(before, 40)}'; the lock is never sent twice`,
          QUARANTINE,
          { lockState: before },
          { params: { answer: displaySafe(before, 40) } },
        );
      }
      return proven(context, before, false, grant);
    }
    if (isLocked(before)) {
      throw new StepFailure('LOCK_FOUND_SET', `ALARM: the bootloader reads locked ('${displaySafe(before, 40)}') although this station never sent the lock`, QUARANTINE, { lockState: before }, {
        params: { answer: displaySafe(before, 40) },
      });
    }
    await context.note({ event: 'lock-sent' }, 'sending: flashing lock');
    await fastboot.lock(signal);
    const after = await readState();
    if (!isLocked(after)) {
      throw new StepFailure('LOCK_READBACK_MISMATCH', `ALARM: after locking, the handset reports its lock state as '${displaySafe(after, 40)}'`, QUARANTINE, { lockState: after }, {
        params: { answer: displaySafe(after, 40) },
      });
    }
    return proven(context, after, true, grant);
  },
};

function proven(context: Parameters<(typeof lock)['run']>[0], state: string, sent: boolean, grant: number | null) {
  const { facts } = context;
  facts.locked = true;
  facts.lockState = state;
  facts.authorisationId ??= grant;
  const variable = context.link.profile?.profile.identity.lockState ?? 'lock state';
  return { status: 'passed', data: { lockState: state, sent }, detail: `${variable}=${displaySafe(state, 40)}${sent ? '' : ' (sent in an earlier attempt, read back now)'}` } as const;
}
