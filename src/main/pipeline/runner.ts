// The one runner of a handset's steps. Around every step it owns what no step may forget: the pause
// gate at the boundary, the supervisor's gate and the records' authorisation before an irreversible
// step, a `begin` event journaled before the step acts and its outcome (with typed data) after,
// and failure: classified, journaled with its code and facts, and a failed record written unless
// the attempt was only interrupted. Events of a handset not yet registered wait until it is.
import { isIrreversible, type AuthorisationDecision, type ProvisioningRecord, type StepName, type StepStatus } from '../../shared/records.ts';
import type { StepData } from '../../shared/step-events.ts';
import { AtClient } from '../at/client.ts';
import { FastbootClient } from '../fastboot/client.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import { isQuarantine, type FailureCode } from '../../shared/failures.ts';
import type { FastbootIdentity } from '../handset/fastboot-ops.ts';
import type { NewStepEvent } from '../records/journal.ts';
import { classifyFailure, StepFailure } from './failure.ts';
import { historyOf, type History } from './history.ts';
import { quarantineOf } from './quarantine.ts';
import type { RunContext } from './run-context.ts';
import { identityRecord, type RunFacts } from './run-facts.ts';
import type { RunState } from './run-state.ts';
import type { HandsetLink, Step, StepContext } from './step.ts';
import { RECORD_STEP } from './steps/index.ts';

/** How the runner waits on something that must also end when the handset is unplugged (HandsetRun.unplugged). */
export type Waiting = <T>(wait: (signal: AbortSignal) => Promise<T>, signal: AbortSignal) => Promise<T>;

interface PendingEvent {
  readonly step: StepName;
  readonly status: StepStatus;
  readonly code: string | null;
  readonly data: unknown;
  readonly detail: string | null;
  readonly authorisation: AuthorisationDecision | null;
}

export class StepRunner {
  readonly #state: RunState;
  readonly #context: RunContext;
  readonly #link: HandsetLink;
  readonly #facts: RunFacts;
  readonly #waiting: Waiting;
  readonly #pending: PendingEvent[] = [];
  #decision: AuthorisationDecision | null = null;
  #current: StepName | null = null;
  #record: ProvisioningRecord | null = null;

  constructor(state: RunState, context: RunContext, link: HandsetLink, facts: RunFacts, waiting: Waiting) {
    this.#state = state;
    this.#context = context;
    this.#link = link;
    this.#facts = facts;
    this.#waiting = waiting;
  }

  /** Runs `steps` in order to the end (provisioned), or to the failure that stops them. */
  async run(steps: readonly Step[], signal: AbortSignal): Promise<void> {
    try {
      for (const step of steps) {
        const provisioned = await this.#step(step, signal);
        if (provisioned !== null) return this.#state.provisioned(provisioned, this.#context.labels.unprinted(provisioned));
      }
      this.#state.set({ phase: 'provisioned', step: null });
    } catch (error) {
      await this.#fail(error, signal);
    } finally {
      await this.#link.fastboot?.client.close().catch(() => undefined);
      this.#link.fastboot = null;
    }
  }

  /** Runs one step; returns the record's sequence number when the records already hold the handset as provisioned. */
  async #step(step: Step, signal: AbortSignal): Promise<number | null> {
    await this.#pass(signal);
    this.#decision = null;
    this.#current = step.name;
    const skip = step.skipReason?.(this.#contextFor(step.name, signal)) ?? null;
    if (skip !== null) {
      this.#decision = isIrreversible(step.name) ? { authorised: false, reason: skip } : null;
      await this.#journal(step.name, 'skipped', null, null, skip);
      return null;
    }
    if (step.irreversible && isIrreversible(step.name)) {
      this.#decision = await this.#authorise(step.name, signal);
      // The wait for the supervisor may have spanned a pause: authorising never resumes a paused batch.
      await this.#pass(signal);
    }
    this.#state.mark(step.name, 'running');
    await this.#journal(step.name, 'started', { event: 'begin' }, null, null);
    const outcome = await step.run(this.#contextFor(step.name, signal));
    this.#state.profileId = this.#link.profile?.profile.id ?? this.#state.profileId;
    // The live state carries the label's cause as data, beside the step's state, from the same facts the journal gets.
    if (step.name === 'label' && outcome.status === 'skipped') {
      this.#state.unprintedLabel = (outcome.data as StepData<'label', 'skipped'>)?.unprinted ?? 'not-taken';
    }
    await this.#journal(step.name, outcome.status, outcome.data, null, outcome.detail);
    return outcome.status === 'passed' ? (outcome.provisioned ?? null) : null;
  }

  /** Holds at a step boundary while the batch is paused, in phase `paused`, and goes back to its phase on resume. */
  async #pass(signal: AbortSignal): Promise<void> {
    const gate = this.#context.gate;
    if (!gate.paused) return;
    const phase = this.#state.phase;
    this.#state.set({ phase: 'paused' });
    await this.#waiting((waitSignal) => gate.pass(waitSignal), signal);
    this.#state.set({ phase });
  }

  /**
   * Before an irreversible step of a batch started without its supervisor: waits, saying so, until the
   * records grant this handset every irreversible step of the policy (asking is claiming: a grant
   * counts the handset against the authorisation's cap at once). Then the step asks for itself; a
   * refusal stops the handset as NOT_AUTHORISED, journaled as a step that did not run.
   */
  async #authorise(step: 'fuse' | 'lock', signal: AbortSignal): Promise<AuthorisationDecision> {
    const gate = this.#context.authorisation;
    const { fuses, lockBootloader } = this.#context.batch.bundle.manifest.policy;
    const granted = (): boolean => (fuses.length === 0 || this.#ask('fuse').authorised) && (!lockBootloader || this.#ask('lock').authorised);
    if (gate && !granted()) {
      this.#state.set({ phase: 'waiting-for-authorisation', step });
      await this.#waiting((waitSignal) => gate.wait(granted, waitSignal), signal);
      this.#state.set({ phase: 'running' });
    }
    const decision = this.#ask(step);
    this.#decision = decision;
    if (!decision.authorised) {
      const message = `the ${step} step is not authorised: ${decision.reason}`;
      throw new StepFailure('NOT_AUTHORISED', message, 'A supervisor must authorise the batch; then retry the handset.', null, { params: { step } });
    }
    return decision;
  }

  #ask(step: 'fuse' | 'lock'): AuthorisationDecision {
    const { batch, records } = this.#context;
    const { fuses } = batch.bundle.manifest.policy;
    return records.isAuthorised({ batchId: batch.info.id, serial: this.#serial(), step, ...(step === 'fuse' ? { fuses } : {}), bundleHash: batch.bundle.manifestSha256 });
  }

  /** Ends an attempt that threw: an operator's abort is the reason when it caused the failure. */
  async #fail(error: unknown, signal: AbortSignal): Promise<void> {
    const cause = signal.aborted && signal.reason instanceof StepFailure ? signal.reason : error;
    const reason = classifyFailure(cause);
    const step = this.#current ?? 'detect';
    this.#state.steps[step] = 'failed';
    const interrupted = reason.code === 'DISCONNECTED' || reason.code === 'ABORTED';
    this.#state.set({ phase: reason.code === 'ABORTED' ? 'aborted' : interrupted ? 'waiting-for-handset' : 'failed', reason, progress: null, wait: null });
    if (this.#state.deviceId === null) return;
    try {
      if (isIrreversible(step) && this.#decision === null) this.#decision = { authorised: false, reason: reason.message };
      // A refused step did not run: it is journaled as skipped under the refusal, never as failed under a grant.
      const status = reason.code === 'NOT_AUTHORISED' ? 'skipped' : 'failed';
      const data = cause instanceof StepFailure ? cause.data : null;
      await this.#journal(step, status, data, reason.code, reason.message);
      // An alarm just journaled, or the one an earlier attempt raised: the card keeps it whatever the attempts after it say.
      if (isQuarantine(reason.code)) this.#state.set({ quarantine: quarantineOf(this.#history()) });
      // An interrupted run is not an outcome: the handset comes back and its record is written then.
      if (interrupted) return;
      const record = this.#contextFor('record', signal, { reason, step });
      this.#decision = null;
      this.#current = 'record';
      this.#state.mark('record', 'running');
      const outcome = await RECORD_STEP.run(record);
      await this.#journal('record', outcome.status, outcome.data, null, outcome.detail);
      this.#state.steps[step] = 'failed';
      this.#state.set({ phase: 'failed', step });
    } catch (journalFailure) {
      this.#state.set({ reason: { ...reason, message: `${reason.message} (and the station could not journal it: ${classifyFailure(journalFailure).message})` } });
    }
  }

  async #journal(step: StepName, status: StepStatus, data: unknown, code: string | null, detail: string | null): Promise<void> {
    const authorisation = isIrreversible(step) ? this.#decision : null;
    const event: PendingEvent = { step, status, code, data, detail, authorisation };
    if (this.#state.deviceId === null) this.#pending.push(event);
    else this.#append(event);
    // Step events commit without an fsync; a fact announcing an irreversible command must survive a power cut before it goes out.
    if (status === 'started' && isIrreversible(step) && (data as { event?: string } | null)?.event !== 'begin') await this.#context.records.durable();
    if (status !== 'started') this.#state.mark(step, status === 'failed' ? 'failed' : status === 'skipped' ? 'skipped' : 'passed');
  }

  #append(event: PendingEvent): void {
    const { records, batch } = this.#context;
    // The schema of the event's step and status checks its data again as it is journaled.
    records.appendStepEvent({ deviceId: this.#deviceId(), ...event, code: event.code as FailureCode | null, operatorId: batch.operatorId } as NewStepEvent);
  }

  #register(serial: string, identity: FastbootIdentity): void {
    const state = this.#state;
    if (state.serial !== null && state.serial !== serial) state.deviceId = null;
    state.serial = serial;
    const entry = this.#context.records.registerDevice({ batchId: this.#context.batch.info.id, serial, identity: { ...identityRecord(identity), slot: state.slot } });
    state.deviceId = entry.id;
    for (const event of this.#pending.splice(0)) this.#append(event);
  }

  #deviceId(): number {
    if (this.#state.deviceId === null) throw new Error('the handset is not registered yet');
    return this.#state.deviceId;
  }

  #serial(): string {
    if (this.#state.serial === null) throw new Error('the handset has no serial number yet');
    return this.#state.serial;
  }

  #history(): History {
    return historyOf(this.#context.records.journal.stepEvents(this.#deviceId()));
  }

  #contextFor<S extends StepName>(step: S, signal: AbortSignal, failure: StepContext['failure'] = null): StepContext<S> {
    const state = this.#state;
    const { batch, records, profiles, labels } = this.#context;
    const link = this.#link;
    return {
      step,
      slot: this.#state.slot,
      batch,
      records,
      profiles,
      labels,
      signal,
      facts: this.#facts,
      link,
      decision: this.#decision,
      failure,
      get serial() {
        return state.serial;
      },
      history: () => this.#history(),
      deviceId: () => this.#deviceId(),
      register: (serial, identity) => this.#register(serial, identity),
      note: (data: StepData<S, 'started'>, detail?: string) => this.#journal(step, 'started', data, null, detail ?? null),
      phase: (phase) => this.#state.set({ phase }),
      progress: (progress) => this.#state.set({ progress }),
      wait: (wait) => this.#state.set({ wait }),
      waiting: (wait) => this.#waiting(wait, signal),
      flashingPlace: () => this.#flashingPlace(signal),
      waitForAtPort: async (timeoutMs) => {
        const profile = link.profile?.profile;
        if (!profile) throw new Error('the handset has no profile yet');
        this.#state.set({ wait: { kind: 'reboot', partition: null, until: new Date(Date.now() + timeoutMs).toISOString() } });
        try {
          return await this.#context.waitForAtPort(this.#serial(), profile, timeoutMs, signal);
        } finally {
          this.#state.set({ wait: null });
        }
      },
      connectFastboot: async () => {
        if (!link.presence) throw new Error('the handset is not in fastboot');
        return new FastbootClient(await link.presence.connect(signal));
      },
      closeFastboot: async () => {
        await link.fastboot?.client.close();
        link.fastboot = null;
      },
      openAt: async () => {
        if (!link.atPort) throw new Error('the handset has no AT port yet');
        return new AtClient(await link.atPort.open(), displaySafe(link.atPort.path, 120));
      },
      committed: (record) => {
        this.#record = record;
        this.#state.recordSeq = record.seq;
      },
      committedRecord: () => {
        if (!this.#record) throw new Error('no record was committed in this attempt');
        return this.#record;
      },
    };
  }

  /**
   * A flashing place (--parallel), taken only while the batch runs: a handset queued for one when the
   * batch is paused gives it back and holds before its flash step like every other.
   */
  async #flashingPlace(signal: AbortSignal): Promise<() => void> {
    for (;;) {
      // Waiting for a place is not flashing yet: the step shows running only once it has one.
      this.#state.steps.flash = 'waiting';
      await this.#pass(signal);
      this.#state.set({ phase: 'queued', step: 'flash' });
      const release = await this.#waiting((waitSignal) => this.#context.flashing.take(waitSignal), signal);
      if (!this.#context.gate.paused) {
        this.#state.mark('flash', 'running');
        return release;
      }
      release();
    }
  }
}
