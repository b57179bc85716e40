// A step of the lifecycle as a small descriptor (after OpenHTF's phases): its name, whether it
// cannot be undone, when the bundle's policy asks nothing of it, and what it does with the context
// it is handed. The runner (runner.ts) owns everything around it — ordering, journaling before and
// after, the pause gate, the supervisor's gate and authorisation, abort, failure — so no step can
// forget them. Time is bounded where the work is known: every command carries a deadline derived
// from its work and the profile's rates (ProfiledFastboot, AtClient), and the waits the context
// offers (a flashing place, the AT port) end on unplug, abort or the profile's reboot deadline.
// Hardware clients reach a step through the context, never constructed inside it.
import type { FailureReason, HandsetWait, RunPhase, TransferProgress } from '../../shared/pipeline.ts';
import type { AuthorisationDecision, ProvisioningRecord, StepName } from '../../shared/records.ts';
import type { StepData } from '../../shared/step-events.ts';
import type { AtClient } from '../at/client.ts';
import type { AtPresence, FastbootPresence } from '../discovery/presence.ts';
import type { FastbootClient } from '../fastboot/client.ts';
import type { FastbootIdentity, ProfiledFastboot } from '../handset/fastboot-ops.ts';
import type { LoadedProfile, ProfileSet } from '../profiles/profile-store.ts';
import type { StationRecords } from '../records/station-records.ts';
import type { History } from './history.ts';
import type { BatchPlan } from './run-context.ts';
import type { LabelStep } from './labels.ts';
import type { RunFacts } from './run-facts.ts';

/** How a step ended when it did not throw: passed, or skipped (the policy asks nothing of it), with its typed facts. */
export type StepOutcome<S extends StepName> =
  | {
      readonly status: 'passed';
      readonly data: StepData<S, 'passed'>;
      readonly detail: string | null;
      /** The records already hold this handset's provisioned record (this sequence number): nothing is left to do. */
      readonly provisioned?: number;
    }
  | { readonly status: 'skipped'; readonly data: StepData<S, 'skipped'>; readonly detail: string | null };

export interface Step<S extends StepName = StepName> {
  readonly name: S;
  /** Cannot be undone: the runner asks the supervisor's gate and the records' authorisation first. */
  readonly irreversible: boolean;
  /** Why the bundle's policy asks nothing of this step (it is then journaled as skipped, without acting); null: it acts. */
  skipReason?(context: StepContext<S>): string | null;
  run(context: StepContext<S>): Promise<StepOutcome<S>>;
}

/** The connection to the handset as the steps hand it on: fastboot until the reboot, then its AT port. */
export interface HandsetLink {
  presence: FastbootPresence | null;
  fastboot: ProfiledFastboot | null;
  profile: LoadedProfile | null;
  atPort: AtPresence | null;
}

export interface StepContext<S extends StepName = StepName> {
  readonly step: S;
  readonly slot: string;
  readonly batch: BatchPlan;
  readonly records: StationRecords;
  readonly profiles: ProfileSet;
  readonly labels: LabelStep;
  readonly signal: AbortSignal;
  readonly facts: RunFacts;
  readonly link: HandsetLink;
  /** The authorisation this irreversible step runs under (granted: the runner refuses to start it otherwise); null for other steps. */
  readonly decision: AuthorisationDecision | null;
  /** Why the attempt failed, for the record step of a failed handset; null on the way to provisioned. */
  readonly failure: { readonly reason: FailureReason; readonly step: StepName } | null;
  /** What earlier attempts established; only after the identify step registered the handset. */
  history(): History;
  /** The registered handset's journal entry. */
  deviceId(): number;
  /** Opens the fastboot session in the handset's slot (the detect step). */
  connectFastboot(): Promise<FastbootClient>;
  /** Releases the fastboot session (the handset leaves fastboot when it reboots). */
  closeFastboot(): Promise<void>;
  /** Opens the booted handset's AT port (the reboot step found it). */
  openAt(): Promise<AtClient>;
  /** The record step committed the handset's record. */
  committed(record: ProvisioningRecord): void;
  /** The record this attempt committed (for its label). */
  committedRecord(): ProvisioningRecord;
  /** Registers the handset in the batch under its serial (after identify); events journaled so far are written then. */
  register(serial: string, identity: FastbootIdentity): void;
  /** The registered handset's serial; null before the identify step registered it. */
  readonly serial: string | null;
  /**
   * Journals a fact the step establishes while it acts (a `started` event with data). For an
   * irreversible step this returns only once the journal is on stable storage, so a command the
   * fact announces is journaled as "sent, outcome unknown" before it can reach the handset.
   */
  note(data: StepData<S, 'started'>, detail?: string): Promise<void>;
  phase(phase: RunPhase): void;
  progress(progress: TransferProgress | null): void;
  /** The deadline the handset now waits under, for its card (null: none); the reboot's wait for the AT port sets its own. */
  wait(wait: HandsetWait | null): void;
  /** A wait that also ends when the handset is unplugged meanwhile. */
  waiting<T>(wait: (signal: AbortSignal) => Promise<T>): Promise<T>;
  /** A flashing place (--parallel), taken only while the batch runs; the returned function gives it back. */
  flashingPlace(): Promise<() => void>;
  /** Waits for the booted handset's AT port, its deadline shown on the card meanwhile. */
  waitForAtPort(timeoutMs: number): Promise<AtPresence>;
}
