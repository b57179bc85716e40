// Verify: the handset's own hash of every written partition equals the manifest's. The fuse and lock
// steps never run on a handset that did not pass here in the same attempt.
import { StepFailure } from '../failure.ts';
import type { Step } from '../step.ts';
import { fastbootOf } from './handset-access.ts';
import { hashMatches, readPartitionHashes } from './partitions.ts';

export const verify: Step<'verify'> = {
  name: 'verify',
  irreversible: false,
  async run(context) {
    const { fastboot } = fastbootOf(context);
    const { facts } = context;
    // The flash step found every partition already right, reading the hashes itself: no need to ask twice.
    if (!facts.verified) {
      const read = await readPartitionHashes(fastboot, facts.targets, facts, context.signal);
      const wrong = read.filter((check) => !hashMatches(check)).map((check) => check.name);
      if (wrong.length > 0) {
        throw new StepFailure(
          'VERIFY_MISMATCH',
          `the handset's hash of ${wrong.join(', ')} does not match the bundle`,
          'Nothing irreversible was done. Retry the handset; if it fails again, set it aside.',
          { partitions: read },
          { params: { partitions: wrong.join(', ') } },
        );
      }
    }
    return { status: 'passed', data: { partitions: facts.partitions }, detail: 'readback matches the manifest' };
  },
};
