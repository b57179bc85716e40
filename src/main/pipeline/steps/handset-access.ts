// What several steps need of the handset's link: the fastboot session and profile the detect step
// opened, and a fresh look at who answers on it before anything irreversible goes out.
import { displaySafe } from '../../../shared/untrusted.ts';
import type { ProfiledFastboot } from '../../handset/fastboot-ops.ts';
import type { LoadedProfile } from '../../profiles/profile-store.ts';
import { StepFailure } from '../failure.ts';
import type { StepContext } from '../step.ts';

export function fastbootOf(context: StepContext): { readonly fastboot: ProfiledFastboot; readonly profile: LoadedProfile } {
  const { fastboot, profile } = context.link;
  if (!fastboot || !profile) throw new Error(`the ${context.step} step needs the fastboot session the detect step opens`);
  return { fastboot, profile };
}

/**
 * Reads the handset's serial and product again and stops unless they are the ones identified: a
 * link re-pointed to another handset (a hub that re-enumerated, a swapped cable) must never carry a
 * fuse or a lock meant for the first. Compared on the raw bytes, as identified.
 */
export async function confirmIdentity(context: StepContext): Promise<void> {
  const { fastboot } = fastbootOf(context);
  const identified = context.facts.identity;
  if (!identified) throw new Error(`the ${context.step} step needs the identify step's readback`);
  const now = await fastboot.readSerialAndProduct(context.signal);
  if (now.serial === identified.serial && now.product === identified.product) return;
  throw new StepFailure(
    'IDENTITY_CHANGED',
    `the link now answers as ${displaySafe(now.serial, 64)} (${displaySafe(now.product, 64)}), not as the handset identified, ` +
      `${displaySafe(identified.serial, 64)} (${displaySafe(identified.product, 64)}); nothing was sent to it`,
    'Unplug both handsets and plug the first in again alone; it resumes where its own readback says.',
    null,
    {
      params: {
        serial: displaySafe(now.serial, 64),
        product: displaySafe(now.product, 64),
        identifiedSerial: displaySafe(identified.serial, 64),
        identifiedProduct: displaySafe(identified.product, 64),
      },
    },
  );
}
