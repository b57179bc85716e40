// Identify: read who the handset is, register it in the batch under its serial, and refuse it before
// anything is written if its identity cannot be trusted or an earlier attempt put it in quarantine.
// Identity is validated on the raw bytes the handset sent, whatever the transport.
import { SERIAL_NUMBER } from '../../../shared/identifiers.ts';
import { displaySafe } from '../../../shared/untrusted.ts';
import type { FastbootPresence } from '../../discovery/presence.ts';
import type { FastbootIdentity } from '../../handset/fastboot-ops.ts';
import { StepFailure } from '../failure.ts';
import { quarantinedAtIdentify, quarantineOf } from '../quarantine.ts';
import { identityRecord } from '../run-facts.ts';
import type { Step } from '../step.ts';
import { fastbootOf } from './handset-access.ts';

const UNTRUSTED = 'Nothing was written. Set the handset aside: its identity cannot be trusted.';

export const identify: Step<'identify'> = {
  name: 'identify',
  irreversible: false,
  async run(context) {
    const { fastboot, profile } = fastbootOf(context);
    const presence = context.link.presence as FastbootPresence;
    const identity = await fastboot.readIdentity(context.signal);
    context.facts.identity = identity;
    context.register(presence.serial ?? identity.serial, identity);
    checkIdentity(presence, identity);
    const history = context.history();
    const quarantine = quarantineOf(history);
    if (quarantine) throw quarantinedAtIdentify(quarantine, history.unreadable?.step ?? null);
    const provisioned = context.records.log.provisionedSeq(context.deviceId());
    return {
      status: 'passed',
      data: { identity: identityRecord(identity) },
      detail: `${displaySafe(identity.serial, 64)}, ${displaySafe(identity.product, 64)} (profile ${profile.profile.id})`,
      ...(provisioned === null ? {} : { provisioned }),
    };
  },
};

/** A handset whose serial cannot be trusted stops before any write. */
function checkIdentity(presence: FastbootPresence, identity: FastbootIdentity): void {
  const serial = presence.serial ?? identity.serial;
  if (!SERIAL_NUMBER.test(serial)) {
    const shown = displaySafe(serial, 64);
    const message = `the handset's serial number ${shown} is not 1-64 printable characters, so it cannot be labelled or recorded safely`;
    throw new StepFailure('SERIAL_INVALID', message, UNTRUSTED, null, { params: { serial: shown } });
  }
  if (presence.serial !== null && identity.serial !== presence.serial) {
    const params = { fastboot: displaySafe(identity.serial, 64), usb: displaySafe(presence.serial, 64) };
    throw new StepFailure('SERIAL_MISMATCH', `the handset calls itself ${params.fastboot} over fastboot but ${params.usb} on USB`, UNTRUSTED, null, { params });
  }
}
