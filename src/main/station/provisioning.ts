// Starting a provisioning batch, shared by every front end: verify the bundle, load the device
// profiles, check the operator and the supervisor, open (or continue) the batch in the records
// with the supervisor's authorisation, and start taking handsets from the device sources.
import type { BatchInfo } from '../../shared/pipeline.ts';
import type { SlotNames } from '../../shared/handset.ts';
import { loadTrustStore } from '../bundle/trust-store.ts';
import { verifyBundle, type VerificationProgress, type VerifiedBundle } from '../bundle/verify.ts';
import type { HandsetRegistry } from '../discovery/registry.ts';
import { ProvisioningBatch } from '../pipeline/batch.ts';
import type { LabelStep } from '../pipeline/labels.ts';
import { loadProfiles } from '../profiles/profile-store.ts';
import type { Credentials } from '../records/operators.ts';
import type { StationRecords } from '../records/station-records.ts';

/** An authorisation covers one shift unless the supervisor says otherwise. */
const DEFAULT_AUTHORISATION_HOURS = 12;

export interface ProvisioningOptions {
  readonly records: StationRecords;
  readonly registry: HandsetRegistry;
  readonly bundlePath: string;
  readonly trustDirs: readonly string[];
  /** Demo mode: the DEMO key is trusted and the batch is labelled demo. */
  readonly demo: boolean;
  readonly operator: Credentials;
  readonly supervisor: Credentials;
  /** The most handsets the supervisor's authorisation covers. */
  readonly deviceCap: number;
  readonly parallel: number;
  /** Continue the newest batch of the same bundle (after a restart) instead of opening a new one. */
  readonly continueBatch: boolean;
  /** How a new batch tags its provisioned handsets (src/shared/asset-tag.ts); null: no tags. */
  readonly assetTagPattern?: string | null;
  /** The shipped profiles' folder, when not resources/profiles (a test with short timeouts). */
  readonly stationProfilesDir?: string;
  readonly profileDirs?: readonly string[];
  readonly labels?: LabelStep;
  readonly slotNames?: SlotNames;
  readonly onVerifyProgress?: (progress: VerificationProgress) => void;
  readonly signal?: AbortSignal;
}

export interface StartedBatch {
  readonly batch: ProvisioningBatch;
  readonly info: BatchInfo;
  readonly bundle: VerifiedBundle;
  readonly continued: boolean;
}

export async function startProvisioning(options: ProvisioningOptions): Promise<StartedBatch> {
  const { records } = options;
  // People first: a wrong PIN should not wait for a 2 GiB bundle to hash.
  const operator = records.operators.authenticate(options.operator);
  records.operators.authenticate(options.supervisor, ['supervisor', 'admin']);
  const profiles = await loadProfiles({ userDirs: options.profileDirs ?? [], ...(options.stationProfilesDir ? { stationDir: options.stationProfilesDir } : {}) });
  const trust = await loadTrustStore({ userDirs: options.trustDirs, demo: options.demo });
  const bundle = await verifyBundle(options.bundlePath, { trust, signal: options.signal, onProgress: options.onVerifyProgress });
  const { manifest } = bundle;
  const previous = options.continueBatch ? records.journal.listBatches().findLast((batch) => batch.bundleHash === bundle.manifestSha256) : undefined;
  const batch =
    previous ??
    records.startBatch({
      name: `${options.demo ? 'DEMO ' : ''}${manifest.products.join('+')} ${manifest.version} ${new Date().toISOString().slice(0, 16)}`,
      product: manifest.products.join(','),
      bundleHash: bundle.manifestSha256,
      bundleVersion: manifest.version,
      operatorId: operator.id,
      assetTagPattern: options.assetTagPattern ?? null,
    });
  if (manifest.policy.fuses.length > 0 || manifest.policy.lockBootloader) {
    records.authorisations.authorise(options.supervisor, {
      batchId: batch.id,
      fuses: manifest.policy.fuses,
      lock: manifest.policy.lockBootloader,
      bundleHash: bundle.manifestSha256,
      deviceCap: options.deviceCap,
      expiresAt: new Date(Date.now() + DEFAULT_AUTHORISATION_HOURS * 3600_000).toISOString(),
    });
  }
  const info: BatchInfo = {
    id: batch.id,
    name: batch.name,
    bundleVersion: manifest.version,
    bundleHash: bundle.manifestSha256,
    products: manifest.products,
    fuses: manifest.policy.fuses,
    lockBootloader: manifest.policy.lockBootloader,
    demo: bundle.signer.demo,
    startedAt: batch.startedAt,
  };
  const provisioning = new ProvisioningBatch({
    plan: { id: batch.id, bundle, operatorId: operator.id },
    info,
    records,
    profiles,
    registry: options.registry,
    parallel: options.parallel,
    ...(options.labels ? { labels: options.labels } : {}),
    ...(options.slotNames ? { slotNames: options.slotNames } : {}),
  });
  provisioning.start();
  return { batch: provisioning, info, bundle, continued: previous !== undefined };
}
