// What the batch setup screen shows of a bundle before anyone commits to it: verified exactly as a
// batch verifies it (signature, every file's hashes), and described in the facts an operator and a
// supervisor decide on — products, version, signer, the fuses it burns and whether it locks.
import type { BundleOverview, BundleProgress } from '../../shared/api.ts';
import { loadTrustStore } from '../bundle/trust-store.ts';
import type { VerificationCache } from '../bundle/verification-cache.ts';
import { verifyBundle } from '../bundle/verify.ts';
import type { ProfileSet } from '../profiles/profile-store.ts';

export interface OverviewOptions {
  readonly bundlePath: string;
  readonly trustDirs: readonly string[];
  readonly demo: boolean;
  readonly profiles: ProfileSet;
  readonly onProgress: (progress: BundleProgress) => void;
  /** Where the results are kept for the batch that starts from this bundle next. */
  readonly cache?: VerificationCache;
}

export async function verifyBundleOverview(options: OverviewOptions): Promise<BundleOverview> {
  const trust = await loadTrustStore({ userDirs: options.trustDirs, demo: options.demo });
  const bundle = await verifyBundle(options.bundlePath, {
    trust,
    cache: options.cache,
    onProgress: (progress) =>
      options.onProgress({ bundlePath: options.bundlePath, partition: progress.partition, overallDone: progress.overallDone, overallTotal: progress.overallTotal }),
  });
  const { manifest } = bundle;
  return {
    location: bundle.location,
    products: manifest.products,
    hardwareRevisions: manifest.hardwareRevisions,
    version: manifest.version,
    buildId: manifest.buildId,
    manifestSha256: bundle.manifestSha256,
    signer: bundle.signer,
    policy: manifest.policy,
    partitions: manifest.partitions.map((partition) => ({ name: partition.name, size: partition.size, sparse: partition.sparse })),
    profiles: profilesFor(options.profiles, manifest.products),
  };
}

/** The profiles that take a handset of any of `products`. */
export function profilesFor(profiles: ProfileSet, products: readonly string[]) {
  return profiles.summaries().filter((summary) => summary.products.some((product) => products.includes(product)));
}
