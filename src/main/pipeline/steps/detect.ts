// Detect: open the fastboot session in the handset's slot and find the profile it speaks.
import { ProfiledFastboot } from '../../handset/fastboot-ops.ts';
import { StepFailure } from '../failure.ts';
import type { Step } from '../step.ts';

export const detect: Step<'detect'> = {
  name: 'detect',
  irreversible: false,
  async run(context) {
    const { presence } = context.link;
    if (!presence) throw new Error('the detect step needs the handset in fastboot');
    const client = await context.connectFastboot();
    // USB ids pick the profile; over TCP there are none, so the standard product variable does.
    const found =
      presence.vendorId !== null && presence.productId !== null
        ? context.profiles.forUsb(presence.vendorId, presence.productId)
        : context.profiles.forProduct(await client.getvar('product', { signal: context.signal }));
    if (!found) {
      throw new StepFailure(
        'NO_PROFILE',
        'no device profile matches this handset',
        'Nothing was written. Check that the handset is a supported model; a new model needs its profile in the station settings.',
      );
    }
    context.link.profile = found;
    context.link.fastboot = new ProfiledFastboot(client, found.profile, (wait) => context.wait(wait));
    return { status: 'passed', data: { profile: found.profile.id }, detail: `slot ${context.slot}, profile ${found.profile.id}` };
  },
};
