// The live state of one slot's run, as its snapshot shows it: which handset, which step, how each
// step stands, why it stopped. The runner changes it; every change asks for a snapshot.
import type { UnprintedCause } from '../../shared/labels.ts';
import { initialSteps, type FailureReason, type HandsetSnapshot, type HandsetWait, type Quarantine, type RunPhase, type StepState, type TransferProgress } from '../../shared/pipeline.ts';
import type { StepName } from '../../shared/records.ts';

export interface RunChanges {
  readonly phase?: RunPhase;
  readonly step?: StepName | null;
  readonly progress?: TransferProgress | null;
  readonly wait?: HandsetWait | null;
  readonly reason?: FailureReason | null;
  readonly quarantine?: Quarantine | null;
}

export class RunState {
  readonly slot: string;
  serial: string | null = null;
  profileId: string | null = null;
  deviceId: number | null = null;
  phase: RunPhase = 'queued';
  step: StepName | null = null;
  steps: Record<StepName, StepState> = initialSteps();
  progress: TransferProgress | null = null;
  wait: HandsetWait | null = null;
  reason: FailureReason | null = null;
  /** From the journal (quarantine.ts) once the handset is known; kept across phases until another handset is met here. */
  quarantine: Quarantine | null = null;
  recordSeq: number | null = null;
  /** Why the label step left the label unprinted, as it journaled it; shown only while that step stands skipped. */
  unprintedLabel: UnprintedCause | null = null;
  #updatedAt = new Date().toISOString();
  readonly #changed: () => void;

  constructor(slot: string, changed: () => void) {
    this.slot = slot;
    this.#changed = changed;
  }

  set(changes: RunChanges): void {
    if (changes.phase !== undefined) this.phase = changes.phase;
    if (changes.step !== undefined) this.step = changes.step;
    if (changes.progress !== undefined) this.progress = changes.progress;
    if (changes.wait !== undefined) this.wait = changes.wait;
    if (changes.reason !== undefined) this.reason = changes.reason;
    if (changes.quarantine !== undefined) this.quarantine = changes.quarantine;
    this.#updatedAt = new Date().toISOString();
    this.#changed();
  }

  mark(step: StepName, state: StepState): void {
    this.steps[step] = state;
    this.set(state === 'running' ? { step } : {});
  }

  /** A handset's record says this batch provisioned it: every step shows passed, but a label still unprinted (as History lists it). */
  provisioned(recordSeq: number, unprintedLabel: UnprintedCause | null): void {
    for (const step of Object.keys(this.steps) as StepName[]) this.steps[step] = 'passed';
    if (unprintedLabel !== null) this.steps.label = 'skipped';
    this.unprintedLabel = unprintedLabel;
    this.recordSeq = recordSeq;
    this.set({ phase: 'provisioned', step: null });
  }

  /** `slotName`: the depot's name for the slot now (the batch's to know: a slot can be renamed mid-run). */
  snapshot(slotName: string | null): HandsetSnapshot {
    return {
      slot: this.slot,
      slotName,
      serial: this.serial,
      profile: this.profileId,
      phase: this.phase,
      step: this.step,
      steps: { ...this.steps },
      progress: this.progress,
      wait: this.wait,
      reason: this.reason,
      quarantine: this.quarantine,
      recordSeq: this.recordSeq,
      unprintedLabel: this.steps.label === 'skipped' ? this.unprintedLabel : null,
      updatedAt: this.#updatedAt,
    };
  }
}
