// Reboot: the handset leaves fastboot and must come back as an AT port carrying the same serial,
// within the profile's time. A handset met already booted after a station restart passes here with
// the port it was found behind.
import { displaySafe } from '../../../shared/untrusted.ts';
import { StepFailure } from '../failure.ts';
import type { Step } from '../step.ts';
import { fastbootOf } from './handset-access.ts';

export const reboot: Step<'reboot'> = {
  name: 'reboot',
  irreversible: false,
  async run(context) {
    const found = context.link.atPort;
    if (found) {
      context.facts.atPort = found.path;
      return { status: 'passed', data: { atPort: found.path, foundBooted: true }, detail: `found booted behind AT port ${displaySafe(found.path, 120)} after a station restart` };
    }
    const { fastboot, profile } = fastbootOf(context);
    await fastboot.reboot(context.signal);
    await context.closeFastboot();
    context.phase('waiting-for-handset');
    const { rebootMs } = profile.profile.timeouts;
    let port;
    try {
      port = await context.waitForAtPort(rebootMs);
    } catch (error) {
      if (context.signal.aborted || error instanceof StepFailure) throw error;
      throw new StepFailure(
        'REBOOT_TIMEOUT',
        `the handset did not come back as an AT port within ${rebootMs / 1000} s of rebooting`,
        'Unplug it, hold the fastboot button and plug it in again: it resumes after the lock step. If it never boots, set it aside.',
        null,
        { params: { seconds: String(rebootMs / 1000) } },
      );
    }
    context.phase('running');
    context.link.atPort = port;
    context.facts.atPort = port.path;
    return { status: 'passed', data: { atPort: port.path, foundBooted: false }, detail: `AT port ${displaySafe(port.path, 120)}` };
  },
};
