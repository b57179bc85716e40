// Precheck: the bundle fits this handset and the handset is fit to be written, or nothing is written.
import { displaySafe } from '../../../shared/untrusted.ts';
import { checkBundleFits } from '../../bundle/fit.ts';
import { StepFailure } from '../failure.ts';
import type { Step } from '../step.ts';
import { fastbootOf } from './handset-access.ts';

export const precheck: Step<'precheck'> = {
  name: 'precheck',
  irreversible: false,
  async run(context) {
    const { profile: loaded } = fastbootOf(context);
    const profile = loaded.profile;
    const identity = context.facts.identity;
    if (!identity) throw new Error('the precheck step needs the identify step\'s readback');
    const manifest = context.batch.bundle.manifest;
    const fit = checkBundleFits(manifest, identity);
    if (!fit.fits) {
      const first = fit.problems[0];
      throw new StepFailure(first?.code ?? 'WRONG_PRODUCT', fit.problems.map((problem) => problem.message).join(' '), 'Nothing was written. Set the handset aside for the right bundle.');
    }
    if (!profile.match.products.includes(identity.product)) {
      throw new StepFailure('WRONG_PRODUCT', `the handset's product ${displaySafe(identity.product, 64)} is not one its profile ${profile.id} covers`, 'Nothing was written. Set the handset aside.');
    }
    const millivolts = /^\d{1,6}$/.test(identity.batteryMillivolts) ? Number(identity.batteryMillivolts) : Number.NaN;
    if (Number.isNaN(millivolts)) {
      throw new StepFailure('BATTERY_UNKNOWN', `the handset reports its battery as '${displaySafe(identity.batteryMillivolts, 40)}', not millivolts`, 'Nothing was written. Set the handset aside.');
    }
    if (millivolts < profile.batteryFloorMillivolts) {
      throw new StepFailure(
        'BATTERY_LOW',
        `the battery is at ${millivolts} mV, below the ${profile.batteryFloorMillivolts} mV a safe flash needs`,
        'Nothing was written. Charge the handset for 30 minutes, then plug it in again.',
      );
    }
    if (identity.unlocked === null) {
      throw new StepFailure('LOCK_STATE_UNKNOWN', `the handset reports its lock state as '${displaySafe(identity.lockState, 40)}'`, 'Nothing was written. Set the handset aside.');
    }
    for (const fuse of manifest.policy.fuses) {
      if (!Object.hasOwn(profile.fuses, fuse)) {
        throw new StepFailure('UNKNOWN_FUSE', `the bundle demands fuse ${fuse}, which profile ${profile.id} does not define`, 'Nothing was written. The bundle and the profile disagree; tell the supervisor.');
      }
    }
    // Locked after this station sent the lock (even in an attempt that died before journaling its
    // outcome) is expected; locked on arrival means someone else owned it.
    if (!identity.unlocked && !context.history().lockSent) {
      throw new StepFailure('ARRIVES_LOCKED', 'the handset arrived with its bootloader locked, so it cannot be flashed', 'Nothing was written. Return it for unlocking by its previous owner.');
    }
    return { status: 'passed', data: null, detail: null };
  },
};
