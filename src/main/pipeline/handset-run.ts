// One slot's run through the lifecycle of DESIGN.md. Each attempt hands the steps (steps/) to the
// runner (runner.ts) with a fresh link and facts; an attempt that is interrupted (unplugged, station
// restart) starts again from detect, and each step whose own readback already proves it done passes
// without acting, so nothing irreversible runs twice. This class owns only the attempts' lifecycle:
// start, queue, abort, unplug, and the two ways back in after a reboot (recheck, found booted).
import { initialSteps, type HandsetSnapshot, type Quarantine, type RunPhase } from '../../shared/pipeline.ts';
import type { AtPresence, FastbootPresence } from '../discovery/presence.ts';
import type { DeviceEntry } from '../records/journal.ts';
import { StepFailure } from './failure.ts';
import { historyOf } from './history.ts';
import { quarantineOf } from './quarantine.ts';
import type { RunContext } from './run-context.ts';
import { newFacts, type RunFacts } from './run-facts.ts';
import { RunState } from './run-state.ts';
import { StepRunner } from './runner.ts';
import type { HandsetLink } from './step.ts';
import { AFTER_REBOOT, LIFECYCLE, RECHECK } from './steps/index.ts';

export type { BatchPlan, RunContext } from './run-context.ts';

export class HandsetRun {
  readonly slot: string;
  readonly #state: RunState;
  readonly #context: RunContext;
  #abort = new AbortController();
  #active: Promise<void> | null = null;
  #pending: FastbootPresence | null = null;
  /** What the latest attempt learned and how it reached the handset, for a re-run of its checks. */
  #last: { facts: RunFacts; link: HandsetLink } | null = null;
  /** Ends the wait the attempt is in (pause, flashing place, supervisor) when the handset is unplugged meanwhile. */
  #unplugged: AbortController | null = null;

  constructor(slot: string, context: RunContext) {
    this.slot = slot;
    this.#context = context;
    this.#state = new RunState(slot, () => context.changed());
  }

  get serial(): string | null {
    return this.#state.serial;
  }

  get phase(): RunPhase {
    return this.#state.phase;
  }

  get active(): boolean {
    return this.#active !== null;
  }

  snapshot(slotName: string | null): HandsetSnapshot {
    return this.#state.snapshot(slotName);
  }

  /** A handset is in this run's slot in fastboot: start an attempt, or queue it behind the running one. */
  attach(presence: FastbootPresence): void {
    if (this.#active) {
      this.#pending = presence;
      return;
    }
    this.#start(presence);
  }

  /** Stops the running attempt; the handset stays where its readback says until retried or plugged in again. */
  abort(): void {
    this.#abort.abort(new StepFailure('ABORTED', 'the operator aborted this handset', 'Retry it, or unplug it and set it aside.', null, { detail: 'ABORTED_BY_OPERATOR' }));
  }

  /**
   * The handset left its slot. A step that talks to it notices by itself; a wait does not, so the
   * wait ends here and the run waits for the handset instead, as after any unplugging.
   */
  unplugged(): void {
    this.#unplugged?.abort(new StepFailure('DISCONNECTED', 'the handset was unplugged while it waited', 'Plug the handset in again in fastboot mode; it resumes where it stopped.', null, {
      detail: 'UNPLUGGED_WAITING',
    }));
  }

  /** Waits for the running attempt, if any, to end. */
  async settled(): Promise<void> {
    while (this.#active) await this.#active;
  }

  /** The quarantine this handset is in (the alarm that put it there), as this run last learned it from the journal; null when none. */
  get quarantine(): Quarantine | null {
    return this.#state.quarantine;
  }

  /** Whether the last attempt got as far as the AT checks and failed there, so the checks alone can run again. */
  get canRecheck(): boolean {
    return !this.#active && this.#state.phase === 'failed' && this.#state.step === 'checks' && this.#last?.facts.locked === true;
  }

  /** Runs the AT checks again on a handset whose checks failed, still booted behind `port`. */
  recheck(port: AtPresence): void {
    const last = this.#last;
    if (!this.canRecheck || !last) return;
    last.link.atPort = port;
    this.#run(async (signal) => {
      this.#state.steps = { ...this.#state.steps, checks: 'waiting', record: 'waiting', label: 'waiting' };
      this.#state.recordSeq = null;
      this.#state.set({ phase: 'running', reason: null });
      await this.#runner(last.facts, last.link).run(RECHECK, signal);
    });
  }

  /**
   * Picks up a handset found booted behind `port` after a station restart, when the journal shows it
   * passed the lock step in this batch: its irreversible steps are done, so only the checks, the record
   * and the label remain. The record's evidence then comes from the journal's data.
   */
  resumeBooted(port: AtPresence, device: DeviceEntry): void {
    if (this.#active || this.#state.phase === 'provisioned') return;
    this.#run(async (signal) => {
      this.#state.serial = device.serial;
      this.#state.deviceId = device.id;
      const provisioned = this.#context.records.log.provisionedSeq(device.id);
      if (provisioned !== null) return this.#state.provisioned(provisioned, this.#context.labels.unprinted(provisioned));
      const history = historyOf(this.#context.records.journal.stepEvents(device.id));
      const profile = this.#context.profiles.forProduct(device.identity['product'] ?? '');
      const quarantine = quarantineOf(history);
      // Not done with its irreversible steps, in quarantine, or of no known model: it waits to be plugged in in fastboot.
      if (quarantine || !history.passed.has('lock') || !profile) return this.#state.set({ phase: 'waiting-for-handset', step: null, quarantine });
      this.#state.profileId = profile.profile.id;
      for (const step of ['detect', 'identify', 'precheck', 'flash', 'verify', 'fuse', 'lock'] as const) this.#state.steps[step] = 'passed';
      this.#state.set({ phase: 'running', step: 'reboot', reason: null });
      const facts = factsFromHistory(device, history, this.#context.batch.bundle.manifest.policy.fuses);
      const link: HandsetLink = { presence: null, fastboot: null, profile, atPort: port };
      this.#last = { facts, link };
      await this.#runner(facts, link).run(AFTER_REBOOT, signal);
    });
  }

  #start(presence: FastbootPresence): void {
    this.#run(async (signal) => {
      this.#state.steps = initialSteps();
      this.#state.recordSeq = null;
      // The handset in the slot is known again only once it identifies itself.
      this.#state.deviceId = null;
      this.#state.set({ phase: 'running', step: 'detect', reason: null, progress: null, quarantine: null });
      const facts = newFacts();
      const link: HandsetLink = { presence, fastboot: null, profile: null, atPort: null };
      this.#last = { facts, link };
      await this.#runner(facts, link).run(LIFECYCLE, signal);
    });
  }

  #runner(facts: RunFacts, link: HandsetLink): StepRunner {
    return new StepRunner(this.#state, this.#context, link, facts, (wait, signal) => this.#waiting(wait, signal));
  }

  #run(attempt: (signal: AbortSignal) => Promise<void>): void {
    this.#abort = new AbortController();
    this.#active = attempt(this.#abort.signal).finally(() => {
      this.#active = null;
      const next = this.#pending;
      this.#pending = null;
      if (next && this.#state.phase !== 'provisioned') this.#start(next);
    });
  }

  /** Runs a wait that also ends when the handset is unplugged meanwhile (see `unplugged`). */
  async #waiting<T>(wait: (signal: AbortSignal) => Promise<T>, signal: AbortSignal): Promise<T> {
    const unplugged = new AbortController();
    this.#unplugged = unplugged;
    try {
      return await wait(AbortSignal.any([signal, unplugged.signal]));
    } finally {
      if (this.#unplugged === unplugged) this.#unplugged = null;
    }
  }
}

/** What the journal's data says an earlier attempt proved, for a handset resumed after its lock step. */
function factsFromHistory(device: DeviceEntry, history: ReturnType<typeof historyOf>, policyFuses: readonly string[]): RunFacts {
  const text = (name: string): string => device.identity[name] ?? '';
  // Old-format reader: a handset identified before profile schema 2 has its serial under `serialNumber`.
  const serial = device.identity['serial'] ?? device.identity['serialNumber'] ?? '';
  const unlocked = device.identity['unlocked'];
  return {
    ...newFacts(),
    identity: {
      serial,
      product: text('product'),
      hwRevision: text('hwRevision'),
      bootloaderVersion: text('bootloaderVersion'),
      lockState: text('lockState'),
      unlocked: unlocked === 'true' ? true : unlocked === 'false' ? false : null,
      batteryMillivolts: text('batteryMillivolts'),
    },
    verified: true,
    fuseWordsAfter: history.fusePassed?.after ?? [],
    // A station before the structured journal did not say which fuses it burned: it burned the policy's, as its record said.
    fusesBurned: history.fusePassed ? (history.fusePassed.burned ?? [...policyFuses]) : [],
    locked: true,
    lockState: history.lockPassed?.lockState ?? null,
    authorisationId: history.authorisationId,
  };
}
