// Flash: every partition of the bundle, erased then written from the verified image, streamed, in a
// flashing place (--parallel). A handset this batch wrote before, or one that is locked, is asked for
// its own hashes first: when every partition already holds the bundle nothing is written again.
import { verifiedImage } from '../../bundle/image-source.ts';
import { StepFailure } from '../failure.ts';
import { RateMeter } from '../rate-meter.ts';
import type { Step } from '../step.ts';
import { fastbootOf } from './handset-access.ts';
import { flashTargets, hashMatches, readPartitionHashes } from './partitions.ts';

export const flash: Step<'flash'> = {
  name: 'flash',
  irreversible: false,
  async run(context) {
    const { fastboot } = fastbootOf(context);
    const { facts, signal, batch } = context;
    const targets = await flashTargets(batch.bundle, fastboot.client, signal);
    facts.targets = targets;
    const unlocked = facts.identity?.unlocked === true;
    if (context.history().flashWritten || !unlocked) {
      if ((await readPartitionHashes(fastboot, targets, facts, signal)).every(hashMatches)) {
        return { status: 'passed', data: { written: false, bytes: 0 }, detail: "already flashed: every partition reads back the bundle's hash" };
      }
      if (!unlocked) throw new StepFailure('LOCKED_UNVERIFIED', 'the bootloader is locked but the partitions do not hold this bundle', 'Set the handset aside and tell the supervisor.');
    }
    const release = await context.flashingPlace();
    try {
      context.phase('running');
      const names = targets.map((entry) => entry.target);
      await context.note({ event: 'writing', targets: names }, names.join(', '));
      const total = targets.reduce((sum, entry) => sum + entry.partition.size, 0);
      const meter = new RateMeter(total);
      for (const { partition, target } of targets) {
        await fastboot.erase(target, partition.expanded.size, signal);
        const done = meter.done;
        await fastboot.flashImage(target, verifiedImage(batch.bundle, partition.name, signal), {
          signal,
          onProgress: (progress) => {
            if (meter.update(done + progress.imageBytesRead)) context.progress(meter.progress(target));
          },
        });
        meter.update(done + partition.size);
      }
      context.progress(null);
      return { status: 'passed', data: { written: true, bytes: total }, detail: `${targets.length} partition(s), ${total} bytes` };
    } finally {
      release();
    }
  },
};
