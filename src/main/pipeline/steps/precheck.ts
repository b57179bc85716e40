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
      const message = fit.problems.map((problem) => problem.message).join(' ');
      const also = fit.problems.slice(1).map((problem) => ({ key: problem.code, params: problem.params }));
      throw new StepFailure(first?.code ?? 'WRONG_PRODUCT', message, 'Nothing was written. Set the handset aside for the right bundle.', null, { params: first?.params ?? {}, also });
    }
    if (!profile.match.products.includes(identity.product)) {
      const params = { product: displaySafe(identity.product, 64), profile: profile.id };
      const message = `the handset's product ${params.product} is not one its profile ${profile.id} covers`;
      throw new StepFailure('WRONG_PRODUCT', message, 'Nothing was written. Set the handset aside.', null, { detail: 'PRODUCT_NOT_IN_PROFILE', params });
    }
    const millivolts = /^\d{1,6}$/.test(identity.batteryMillivolts) ? Number(identity.batteryMillivolts) : Number.NaN;
    if (Number.isNaN(millivolts)) {
      const params = { answer: displaySafe(identity.batteryMillivolts, 40) };
      throw new StepFailure('BATTERY_UNKNOWN', `the handset reports its battery as '${params.answer}', not millivolts`, 'Nothing was written. Set the handset aside.', null, { params });
    }
    if (millivolts < profile.batteryFloorMillivolts) {
      throw new StepFailure(
        'BATTERY_LOW',
        `the battery is at ${millivolts} mV, below the ${profile.batteryFloorMillivolts} mV a safe flash needs`,
        'Nothing was written. Charge the handset for 30 minutes, then plug it in again.',
        null,
        { params: { millivolts: String(millivolts), floor: String(profile.batteryFloorMillivolts) } },
      );
    }
    if (identity.unlocked === null) {
      const params = { answer: displaySafe(identity.lockState, 40) };
      throw new StepFailure('LOCK_STATE_UNKNOWN', `the handset reports its lock state as '${params.answer}'`, 'Nothing was written. Set the handset aside.', null, { params });
    }
    for (const fuse of manifest.policy.fuses) {
      if (!Object.hasOwn(profile.fuses, fuse)) {
        const message = `the bundle demands fuse ${fuse}, which profile ${profile.id} does not define`;
        throw new StepFailure('UNKNOWN_FUSE', message, 'Nothing was written. The bundle and the profile disagree; tell the supervisor.', null, { params: { fuse, profile: profile.id } });
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
