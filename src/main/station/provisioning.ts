// Starting a provisioning batch, shared by every front end: verify the bundle, load the device
// profiles, check the operator and the supervisor, open (or continue) the batch in the records
// with the supervisor's authorisation (or let its handsets wait for the operator UI's gate before
// their fuse step), and start taking handsets from the device sources.
import type { z } from 'zod';
import type { batchStartSchema } from '../../shared/api.ts';
import type { BatchInfo } from '../../shared/pipeline.ts';
import type { AuthorisationSummary, OperatorSummary } from '../../shared/records.ts';
import type { SlotNames } from '../../shared/handset.ts';
import { loadTrustStore } from '../bundle/trust-store.ts';
import type { VerificationCache } from '../bundle/verification-cache.ts';
import { verifyBundle, type VerificationProgress } from '../bundle/verify.ts';
import type { HandsetRegistry } from '../discovery/registry.ts';
import { ProvisioningBatch } from '../pipeline/batch.ts';
import type { BatchPlan } from '../pipeline/run-context.ts';
import type { LabelStep } from '../pipeline/labels.ts';
import { loadProfiles } from '../profiles/profile-store.ts';
import type { Credentials, SignInProof } from '../records/operators.ts';
import { RecordsError } from '../records/errors.ts';
import type { StationRecords } from '../records/station-records.ts';
import { stationLabelStep } from './label-setup.ts';
import type { PrinterStatus } from '../../shared/labels.ts';

/** An authorisation covers one shift unless the supervisor says otherwise. */
const DEFAULT_AUTHORISATION_HOURS = 12;

/** What to start: the operator's asks (as `batch.start` takes them, defaults applied), and the station's parts. */
export interface ProvisioningOptions extends Readonly<Pick<z.output<typeof batchStartSchema>, 'bundlePath' | 'trustDirs' | 'parallel' | 'assetTagPattern'>> {
  readonly records: StationRecords;
  readonly registry: HandsetRegistry;
  /** Demo mode: the DEMO key is trusted and the batch is labelled demo. */
  readonly demo: boolean;
  /** Who starts the batch: credentials checked now (the CLI), or the operator a front end's session signed in. */
  readonly operator: Credentials | SignedInOperator;
  /**
   * The supervisor who authorises the batch's fuse and lock steps now; null: the operator UI's gate
   * asks later, and until `authoriseBatch` each handset is flashed and verified, then waits before its
   * fuse step.
   */
  readonly supervisor: Credentials | null;
  /** The most handsets the supervisor's authorisation covers. */
  readonly deviceCap: number;
  /** Continue the newest batch of the same bundle (after a restart) instead of opening a new one. */
  readonly continueBatch: boolean;
  /** The shipped profiles' folder, when not resources/profiles (a test with short timeouts). */
  readonly stationProfilesDir?: string;
  readonly profileDirs?: readonly string[];
  /** The label step; by default the printer in the station settings (see settingsDir), or none. */
  readonly labels?: LabelStep;
  /** Where station-settings.json and the depot's labels/ folder are; defaults to the database's folder. */
  readonly settingsDir?: string;
  readonly slotNames?: SlotNames;
  readonly onVerifyProgress?: (progress: VerificationProgress) => void;
  /** The station's verification results: a bundle just verified for the setup screen is not hashed again (its signature is). */
  readonly verificationCache?: VerificationCache;
  readonly signal?: AbortSignal;
}

export interface SignedInOperator {
  readonly signedIn: OperatorSummary;
}

/** A batch under way: its plan, the batch that runs it, and whether this run continued one the journal had. */
export interface StartedBatch extends BatchPlan {
  readonly batch: ProvisioningBatch;
  readonly continued: boolean;
}

export async function startProvisioning(options: ProvisioningOptions): Promise<StartedBatch> {
  const { records } = options;
  // People first: a wrong PIN should not wait for a 2 GiB bundle to hash.
  const { operator: credentials, supervisor: supervisorCredentials } = options;
  const operator = 'signedIn' in credentials
    ? stillActive(records, credentials.signedIn)
    : signingIn('operator', credentials.id, () => records.operators.authenticate(credentials));
  // Checked once: the authorisation, made once the batch exists, redeems this check in its own transaction.
  const supervisor = supervisorCredentials
    ? signingIn('supervisor', supervisorCredentials.id, () => records.operators.proveSignIn(supervisorCredentials, ['supervisor', 'admin']))
    : null;
  const profiles = await loadProfiles({ userDirs: options.profileDirs ?? [], ...(options.stationProfilesDir ? { stationDir: options.stationProfilesDir } : {}) });
  // A printer naming an unknown template stops the start here, before a batch is opened. Its state is
  // asked for now, before the batch exists: the first answer waits for the batch's snapshot.
  const printer = new PrinterState();
  const labels =
    options.labels ??
    (await stationLabelStep({ databasePath: records.databasePath, onPrinterStatus: (status) => printer.update(status), ...(options.settingsDir ? { settingsDir: options.settingsDir } : {}) }));
  const trust = await loadTrustStore({ userDirs: options.trustDirs, demo: options.demo });
  const bundle = await verifyBundle(options.bundlePath, { trust, signal: options.signal, onProgress: options.onVerifyProgress, cache: options.verificationCache });
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
      assetTagPattern: options.assetTagPattern,
    });
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
  const irreversible = info.fuses.length > 0 || info.lockBootloader;
  if (irreversible && supervisor) authoriseBatch(records, supervisor, info, options.deviceCap);
  const plan: BatchPlan = { info, bundle, operatorId: operator.id };
  const provisioning = new ProvisioningBatch({
    plan,
    records,
    profiles,
    registry: options.registry,
    parallel: options.parallel,
    labels,
    ...(options.slotNames ? { slotNames: options.slotNames } : {}),
    // With the supervisor here now, nothing waits: a step the records refuse fails, as the CLI expects.
    awaitsAuthorisation: options.supervisor === null,
  });
  printer.attach(provisioning);
  provisioning.start();
  return { ...plan, batch: provisioning, continued: previous !== undefined };
}

/** Carries the printer's state to the batch's snapshot, keeping an answer that came before the batch. */
class PrinterState {
  #batch: ProvisioningBatch | null = null;
  #early: PrinterStatus | null = null;

  update(status: PrinterStatus): void {
    if (this.#batch) this.#batch.printerStatus(status);
    else this.#early = status;
  }

  attach(batch: ProvisioningBatch): void {
    this.#batch = batch;
    if (this.#early) batch.printerStatus(this.#early);
  }
}

/**
 * A refused sign-in says whose it was, by the id as entered, so the person at the station knows which
 * PIN to enter again; the records' answer itself never tells whether that id exists.
 */
function signingIn<T>(who: 'operator' | 'supervisor', id: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof RecordsError && error.code === 'SIGN_IN_FAILED') throw new RecordsError('SIGN_IN_FAILED', `${who} ${id}: ${error.message}`, { cause: error });
    throw error;
  }
}

/**
 * Records a supervisor's authorisation of the batch's fuses and lock for up to `deviceCap` handsets,
 * for one shift, and wakes the batch's handsets waiting for it (`batch`, once the batch runs).
 */
export function authoriseBatch(records: StationRecords, supervisor: Credentials | SignInProof, info: BatchInfo, deviceCap: number, batch?: ProvisioningBatch): AuthorisationSummary {
  const granted = records.authorisations.authorise(supervisor, {
    batchId: info.id,
    fuses: [...info.fuses],
    lock: info.lockBootloader,
    bundleHash: info.bundleHash,
    deviceCap,
    expiresAt: new Date(Date.now() + DEFAULT_AUTHORISATION_HOURS * 3600_000).toISOString(),
  });
  batch?.authorised();
  return granted;
}

/**
 * The newest authorisation of the batch that still covers its policy (unexpired, given by a supervisor
 * still enabled), or null: then the UI offers the gate. One whose device cap is used up is still shown
 * (with its count); the handsets it cannot take wait before their fuse step and say so.
 */
export function liveAuthorisation(records: StationRecords, info: BatchInfo): AuthorisationSummary | null {
  const now = new Date().toISOString();
  const enabled = (id: string): boolean => (records.operators.get(id)?.disabledAt ?? null) === null;
  const covers = (granted: AuthorisationSummary): boolean =>
    granted.expiresAt > now &&
    (!info.lockBootloader || granted.lock) &&
    info.fuses.every((fuse) => granted.fuses.includes(fuse)) &&
    enabled(granted.supervisorId);
  return records.authorisations.listForBatch(info.id).find(covers) ?? null;
}

/** A session's operator may have been disabled or locked out since signing in. */
function stillActive(records: StationRecords, signedIn: OperatorSummary): OperatorSummary {
  const operator = records.operators.get(signedIn.id);
  if (!operator || operator.disabledAt !== null || operator.lockedAt !== null) {
    throw new RecordsError('SIGN_IN_FAILED', `operator ${signedIn.id} is no longer active; sign in again.`);
  }
  return operator;
}
