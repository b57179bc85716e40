// What a batch hands each of its handset runs: the plan, the stores, the gates and the ways to
// reach the handset once it has rebooted. Built by the batch (batch.ts), read by the runner.
import type { BatchInfo } from '../../shared/pipeline.ts';
import type { DeviceProfile } from '../../shared/profile.ts';
import type { VerifiedBundle } from '../bundle/verify.ts';
import type { AtPresence } from '../discovery/presence.ts';
import type { ProfileSet } from '../profiles/profile-store.ts';
import type { StationRecords } from '../records/station-records.ts';
import type { AuthorisationGate, PauseGate, Permits } from './gate.ts';
import type { LabelStep } from './labels.ts';

/**
 * What the station plans for every handset of the batch: the batch as shown (its id, the bundle's
 * policy), the verified bundle it writes, and the operator whose records these are.
 */
export interface BatchPlan {
  readonly info: BatchInfo;
  readonly bundle: VerifiedBundle;
  /** The operator who started this run of the batch (the records' `operatorId`). */
  readonly operatorId: string;
}

export interface RunContext {
  readonly batch: BatchPlan;
  readonly records: StationRecords;
  readonly profiles: ProfileSet;
  readonly gate: PauseGate;
  /**
   * The supervisor's gate of a batch started before anyone authorised it (the operator UI): its
   * handsets wait there before the fuse step. Null when the supervisor authorised the batch up front
   * (the CLI): nothing waits, and a refused step fails as NOT_AUTHORISED.
   */
  readonly authorisation: AuthorisationGate | null;
  readonly flashing: Permits;
  readonly labels: LabelStep;
  /** Resolves with the handset's AT port once it is present, or rejects after `timeoutMs`. */
  waitForAtPort(serial: string, profile: DeviceProfile, timeoutMs: number, signal: AbortSignal): Promise<AtPresence>;
  /** The run's state changed: publish a snapshot (coalesced by the caller). */
  changed(): void;
}
