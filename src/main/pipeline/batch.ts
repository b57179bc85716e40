// A provisioning batch: every handset that appears in fastboot gets a run in its slot; runs go on in
// parallel and one handset's failure, hang or unplugging never holds up another. The batch owns the
// operator's controls (retry, abort, pause, resume), the supervisor's gate before the irreversible
// steps, and publishes the live state.
import { slotLabel, type SlotNames } from '../../shared/handset.ts';
import type { PipelineSnapshot, Quarantine } from '../../shared/pipeline.ts';
import type { HandsetRegistry, RegistryEvent } from '../discovery/registry.ts';
import type { AtPresence, FastbootPresence } from '../discovery/presence.ts';
import type { ProfileSet } from '../profiles/profile-store.ts';
import type { StationRecords } from '../records/station-records.ts';
import { AtPorts } from './at-ports.ts';
import { AuthorisationGate, PauseGate, Permits } from './gate.ts';
import { HandsetRun, type BatchPlan } from './handset-run.ts';
import { NO_PRINTER, type LabelStep } from './labels.ts';
import { CoalescedPublisher, type SnapshotListener } from './live-state.ts';
import type { PrinterStatus } from '../../shared/labels.ts';
import { historyOf } from './history.ts';
import { quarantineOf, retryRefused } from './quarantine.ts';

export interface BatchOptions {
  readonly plan: BatchPlan;
  readonly records: StationRecords;
  readonly profiles: ProfileSet;
  readonly registry: HandsetRegistry;
  /** How many handsets flash at once; the other steps are not limited. */
  readonly parallel: number;
  readonly labels?: LabelStep;
  /**
   * The depot's slot names, read at every snapshot: the station replaces this object's contents when a
   * slot is renamed, and the handsets already in that slot carry the new name from the next snapshot.
   */
  readonly slotNames?: SlotNames;
  /**
   * The batch starts before a supervisor authorised it (the operator UI): its handsets are flashed and
   * verified, then wait before the fuse step until `authorised()` brings an authorisation that covers them.
   */
  readonly awaitsAuthorisation?: boolean;
}

export class ProvisioningBatch {
  readonly #options: BatchOptions;
  readonly #runs = new Map<string, HandsetRun>();
  readonly #gate = new PauseGate();
  readonly #authorisation: AuthorisationGate | null;
  readonly #flashing: Permits;
  readonly #publisher: CoalescedPublisher<PipelineSnapshot>;
  readonly #atPorts: AtPorts;
  #unsubscribe: (() => void) | null = null;
  #stopped = false;
  #printer: PrinterStatus | null = null;

  constructor(options: BatchOptions) {
    this.#options = options;
    this.#flashing = new Permits(options.parallel);
    this.#authorisation = options.awaitsAuthorisation ? new AuthorisationGate() : null;
    this.#publisher = new CoalescedPublisher((version) => this.#build(version));
    this.#atPorts = new AtPorts({
      profiles: () => options.profiles.profiles.map(({ profile }) => profile),
      unclaimed: (port, serial) => this.#resumeBooted(port, serial),
    });
  }

  /** Takes every handset present now and every one that appears from now on. */
  start(): void {
    this.#unsubscribe = this.#options.registry.subscribe((event) => this.#onRegistry(event));
    for (const presence of this.#options.registry.list()) this.#onRegistry({ type: 'attach', presence });
  }

  get snapshot(): PipelineSnapshot {
    return this.#publisher.latest;
  }

  subscribe(listener: SnapshotListener<PipelineSnapshot>): () => void {
    return this.#publisher.subscribe(listener);
  }

  /**
   * Holds every handset at its next step boundary, where its phase turns `paused` (a step under way
   * finishes first). Not journaled: a pause changes no handset's steps, and a restarted station starts unpaused.
   */
  pause(): void {
    this.#gate.pause();
    this.#publisher.flush();
  }

  /** Releases the held handsets, each back to the phase it had. */
  resume(): void {
    this.#gate.resume();
    this.#publisher.flush();
  }

  /** The station's slot names changed (they are read at each snapshot): publish, even with nothing else moving. */
  slotNamesChanged(): void {
    this.#publisher.mark();
  }

  /** The label printer answered a status query: its state is part of the snapshot. */
  printerStatus(status: PrinterStatus): void {
    this.#printer = status;
    this.#publisher.mark();
  }

  /** A supervisor authorised the batch: the handsets waiting before their fuse step ask the records again. */
  authorised(): void {
    this.#authorisation?.authorised();
  }

  /**
   * Runs a failed or aborted handset again: from detect if it is in fastboot in its slot (it resumes
   * where its readback says), or only its AT checks if those failed and it is still booted.
   */
  retry(serial: string): boolean {
    const run = this.#runBySerial(serial);
    if (!run || run.active) return false;
    // A retry would only be refused at identify, writing a second failed record over the alarm: refuse it here,
    // before anything runs or is journaled, on the journal's word as well as the run's.
    const quarantine = run.quarantine ?? this.#journaledQuarantine(serial);
    if (quarantine) throw retryRefused(serial, quarantine);
    const present = this.#options.registry.list();
    const fastboot = present.find((presence): presence is FastbootPresence => presence.kind === 'fastboot' && presence.id === run.slot);
    if (fastboot) {
      run.attach(fastboot);
      return true;
    }
    const port = this.#atPorts.portOf(serial, run.slot);
    if (!port || !run.canRecheck) return false;
    run.recheck(port);
    return true;
  }

  abort(serial: string): boolean {
    const run = this.#runBySerial(serial);
    if (!run?.active) return false;
    run.abort();
    return true;
  }

  /** True while any handset is being worked on (not finished, failed, aborted or waiting to be plugged in). */
  get busy(): boolean {
    return [...this.#runs.values()].some((run) => run.active);
  }

  /** Stops taking handsets, aborts the running ones and waits for them to journal their state. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    this.#atPorts.stop();
    this.#gate.resume();
    for (const run of this.#runs.values()) run.abort();
    await Promise.all([...this.#runs.values()].map((run) => run.settled()));
    this.#publisher.flush();
    this.#publisher.close();
  }

  /** Publishes the current state now, e.g. before a front end prints a summary. */
  flush(): void {
    this.#publisher.flush();
  }

  #onRegistry(event: RegistryEvent): void {
    if (this.#stopped) return;
    const { presence } = event;
    if (presence.kind === 'at') {
      if (event.type === 'attach') this.#atPorts.appeared(presence);
      else this.#atPorts.left(presence.id);
      return;
    }
    this.#atPorts.fastboot(presence.id, event.type === 'attach');
    if (event.type === 'attach') this.#attachFastboot(presence);
    else this.#runs.get(presence.id)?.unplugged();
  }

  #attachFastboot(presence: FastbootPresence): void {
    const previous = this.#runs.get(presence.id);
    // A different handset plugged into a slot starts a new run there; the old result is replaced only now.
    if (previous && !previous.active && presence.serial !== null && previous.serial !== null && previous.serial !== presence.serial) {
      this.#runs.delete(presence.id);
    }
    const run = this.#runIn(presence.id);
    if (run.phase === 'provisioned' && !run.active) return this.#publisher.mark();
    // The quarantined handset plugged in again: no attempt (it would stop at identify and record again), its card stays.
    if (run.quarantine && !run.active && presence.serial !== null && presence.serial === run.serial) return this.#publisher.mark();
    run.attach(presence);
  }

  /** The run in `slot`, created when the slot has none. */
  #runIn(slot: string): HandsetRun {
    const existing = this.#runs.get(slot);
    if (existing) return existing;
    const run = new HandsetRun(slot, {
      batch: this.#options.plan,
      records: this.#options.records,
      profiles: this.#options.profiles,
      gate: this.#gate,
      authorisation: this.#authorisation,
      flashing: this.#flashing,
      labels: this.#options.labels ?? NO_PRINTER,
      waitForAtPort: (serial, profile, timeoutMs, signal) => this.#atPorts.wait({ serial, slot, profile, timeoutMs, signal }),
      changed: () => this.#publisher.mark(),
    });
    this.#runs.set(slot, run);
    return run;
  }

  /**
   * A port answered for a handset nobody waits for: perhaps one of this batch that booted while the station
   * was down. Only for a handset this station has not met since it started (one it knows is the operator's
   * to retry), and only when the port is proved its own in the slot the journal gives.
   */
  #resumeBooted(port: AtPresence, serial: string): void {
    if (this.#stopped || this.#runBySerial(serial) !== undefined) return;
    const device = this.#options.records.journal.findDevice(this.#options.plan.info.id, serial);
    const slot = device?.identity['slot'];
    const bound = device && slot ? this.#atPorts.portOf(serial, slot) : undefined;
    if (!device || !slot || bound?.id !== port.id) return;
    this.#runIn(slot).resumeBooted(bound, device);
  }

  /** The quarantine the journal puts `serial` in within this batch, whatever the run in memory knows. */
  #journaledQuarantine(serial: string): Quarantine | null {
    const { journal } = this.#options.records;
    const device = journal.findDevice(this.#options.plan.info.id, serial);
    return device ? quarantineOf(historyOf(journal.stepEvents(device.id))) : null;
  }

  #runBySerial(serial: string): HandsetRun | undefined {
    return [...this.#runs.values()].find((run) => run.serial === serial);
  }

  /** The depot's name for `slot` as the settings say now, or null. */
  #slotName(slot: string): string | null {
    const label = slotLabel(slot, this.#options.slotNames ?? {});
    return label === slot ? null : label;
  }

  #build(version: number): PipelineSnapshot {
    const handsets = [...this.#runs.values()].map((run) => run.snapshot(this.#slotName(run.slot))).sort((a, b) => a.slot.localeCompare(b.slot, 'en', { numeric: true }));
    const count = (phases: readonly string[]): number => handsets.filter((handset) => phases.includes(handset.phase)).length;
    return {
      version,
      batch: this.#options.plan.info,
      paused: this.#gate.paused,
      handsets,
      counters: {
        attached: handsets.length,
        running: count(['running', 'queued', 'paused', 'waiting-for-handset', 'waiting-for-authorisation']),
        provisioned: count(['provisioned']),
        failed: count(['failed', 'aborted']),
      },
      printer: this.#printer,
      at: new Date().toISOString(),
    };
  }
}

