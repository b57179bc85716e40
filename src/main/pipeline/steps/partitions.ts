// The partitions a bundle writes on one handset, and the handset's own hash of each: shared by the
// flash step (which skips writing what already reads back right) and the verify step.
import type { ManifestPartition } from '../../../shared/bundle.ts';
import type { PartitionHashCheck } from '../../../shared/step-events.ts';
import type { VerifiedBundle } from '../../bundle/verify.ts';
import type { FastbootClient } from '../../fastboot/client.ts';
import { FastbootFailError } from '../../fastboot/errors.ts';
import type { ProfiledFastboot } from '../../handset/fastboot-ops.ts';
import type { RunFacts } from '../run-facts.ts';

/** One partition write the bundle asks for on this handset (a slotted partition on the active boot slot, say). */
export interface FlashTarget {
  readonly partition: ManifestPartition;
  readonly target: string;
}

const SLOTTED_SUFFIX = { none: [''], active: null, both: ['_a', '_b'] } as const;

/** The partitions to write on this handset: slotted ones on its active boot slot (or both). */
export async function flashTargets(bundle: VerifiedBundle, client: FastbootClient, signal: AbortSignal): Promise<FlashTarget[]> {
  // A bootloader without A/B boot slots refuses the variable: its slotted partitions are the `_a` ones.
  const current = await client.getvar('current-slot', { signal }).catch((error: unknown) => {
    if (error instanceof FastbootFailError) return 'a';
    throw error;
  });
  const bootSlot = /^[ab]$/.test(current) ? current : 'a';
  return bundle.manifest.partitions.flatMap((partition) => {
    const suffixes = SLOTTED_SUFFIX[partition.bootSlot] ?? [`_${bootSlot}`];
    return suffixes.map((suffix) => ({ partition, target: `${partition.name}${suffix}` }));
  });
}

/** The handset's own hash of each written partition beside the manifest's; every hash read lands in `facts` as it is read. */
export async function readPartitionHashes(
  fastboot: ProfiledFastboot,
  targets: readonly FlashTarget[],
  facts: RunFacts,
  signal: AbortSignal,
): Promise<PartitionHashCheck[]> {
  const checks: PartitionHashCheck[] = [];
  facts.partitions = [];
  for (const { partition, target } of targets) {
    const hash = await fastboot.partitionHash(target, partition.expanded.size, signal);
    facts.partitions.push({ name: target, sha256: hash });
    checks.push({ name: target, expected: partition.expanded.sha256, actual: hash });
  }
  facts.verified = checks.every(hashMatches);
  return checks;
}

export function hashMatches(check: PartitionHashCheck): boolean {
  return check.expected === check.actual;
}
