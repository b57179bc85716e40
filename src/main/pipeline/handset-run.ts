// One handset's run through the lifecycle of DESIGN.md: detect, identify, precheck, flash, verify,
// fuse, lock, reboot, checks, record, label. Each step has a precondition, an action and a readback
// that proves it; every transition is journaled before the next step starts. An attempt that is
// interrupted (unplugged, station restart) starts again from detect, and each step whose own
// readback already proves it done is passed without acting, so nothing irreversible runs twice.
import type { ManifestPartition } from '../../shared/bundle.ts';
import { SERIAL_NUMBER } from '../../shared/identifiers.ts';
import { initialSteps, type FailureReason, type HandsetSnapshot, type RunPhase, type StepState, type TransferProgress } from '../../shared/pipeline.ts';
import type { DeviceProfile } from '../../shared/profile.ts';
import { isIrreversible, type AuthorisationDecision, type FuseReadback, type RecordEvidence, type StepEvent, type StepName, type StepStatus } from '../../shared/records.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import { AtClient } from '../at/client.ts';
import { checkBundleFits } from '../bundle/fit.ts';
import { verifiedImage } from '../bundle/image-source.ts';
import type { VerifiedBundle } from '../bundle/verify.ts';
import { FastbootClient } from '../fastboot/client.ts';
import { FastbootFailError } from '../fastboot/errors.ts';
import { flashImage } from '../fastboot/flash-image.ts';
import { runAtChecks, syncAt, type AtCheckResult } from '../handset/at-checks.ts';
import { ProfiledFastboot, type FastbootIdentity } from '../handset/fastboot-ops.ts';
import type { AtPresence, FastbootPresence } from '../discovery/presence.ts';
import type { LoadedProfile, ProfileSet } from '../profiles/profile-store.ts';
import type { DeviceEntry } from '../records/journal.ts';
import type { StationRecords } from '../records/station-records.ts';
import { classifyFailure, StepFailure } from './failure.ts';
import type { AuthorisationGate, PauseGate, Permits } from './gate.ts';
import type { LabelStep } from './labels.ts';
import { RateMeter } from './rate-meter.ts';

export interface BatchPlan {
  readonly id: number;
  readonly bundle: VerifiedBundle;
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

/** One partition write the bundle asks for on this handset (a slotted partition on the active slot, say). */
interface FlashTarget {
  readonly partition: ManifestPartition;
  readonly target: string;
}

interface FuseWordPlan {
  readonly bank: number;
  readonly word: number;
  readonly mask: number;
}

/** What the run learned, for the provisioning record and its evidence. */
interface RunFacts {
  readonly startedAt: string;
  identity: FastbootIdentity | null;
  partitions: { name: string; sha256: string }[];
  fuseWordsBefore: FuseReadback[];
  fuseWordsAfter: FuseReadback[];
  fusesBurned: string[];
  locked: boolean;
  lockState: string | null;
  checks: AtCheckResult[];
  authorisationId: number | null;
}

function newFacts(): RunFacts {
  const startedAt = new Date().toISOString();
  return { startedAt, identity: null, partitions: [], fuseWordsBefore: [], fuseWordsAfter: [], fusesBurned: [], locked: false, lockState: null, checks: [], authorisationId: null };
}

const SLOTTED_SUFFIX = { none: [''], active: null, both: ['_a', '_b'] } as const;

/** Findings that quarantine a handset: it gets no further writes, in this attempt or any later one. */
const ALARM_CODES = ['FUSE_READBACK_MISMATCH', 'LOCK_READBACK_MISMATCH'] as const;
/** The fuse step's entries for masks the device acknowledged, as #program journals them. */
const FUSE_JOURNAL = /^programmed bank (\d+) word (\d+) mask 0x([0-9a-f]{8})$/;

interface History {
  /** Steps an earlier attempt passed. */
  readonly passed: ReadonlySet<StepName>;
  /** Steps an earlier attempt started (or passed): they may have acted. */
  readonly started: ReadonlySet<StepName>;
  /** The record sequence number if this handset was provisioned in this batch. */
  readonly provisioned: number | null;
  /** The journaled detail of an alarm an earlier attempt raised. */
  readonly alarm: string | null;
  /** Per `bank/word`, the bits the device acknowledged burning in an earlier attempt. */
  readonly fuseMasksSent: ReadonlyMap<string, number>;
}

export class HandsetRun {
  readonly slot: string;
  #serial: string | null = null;
  #profile: LoadedProfile | null = null;
  #deviceId: number | null = null;
  #phase: RunPhase = 'queued';
  #step: StepName | null = null;
  #steps: Record<StepName, StepState> = initialSteps();
  #progress: TransferProgress | null = null;
  #reason: FailureReason | null = null;
  #recordSeq: number | null = null;
  #updatedAt = new Date().toISOString();
  #abort = new AbortController();
  #active: Promise<void> | null = null;
  #pending: FastbootPresence | null = null;
  /** The authorisation decision of the irreversible step under way, journaled with its outcome. */
  #decision: AuthorisationDecision | null = null;
  /** What the latest attempt learned, for a re-run of its checks. */
  #lastFacts: RunFacts | null = null;
  /** Ends the wait the attempt is in (pause, flashing place, supervisor) when the handset is unplugged meanwhile. */
  #unplugged: AbortController | null = null;
  readonly #context: RunContext;

  constructor(slot: string, context: RunContext) {
    this.slot = slot;
    this.#context = context;
  }

  get serial(): string | null {
    return this.#serial;
  }

  get phase(): RunPhase {
    return this.#phase;
  }

  get active(): boolean {
    return this.#active !== null;
  }

  /** `slotName`: the depot's name for the slot now (the batch's to know: a slot can be renamed mid-run). */
  snapshot(slotName: string | null): HandsetSnapshot {
    return {
      slot: this.slot,
      slotName,
      serial: this.#serial,
      profile: this.#profile?.profile.id ?? null,
      phase: this.#phase,
      step: this.#step,
      steps: { ...this.#steps },
      progress: this.#progress,
      reason: this.#reason,
      recordSeq: this.#recordSeq,
      updatedAt: this.#updatedAt,
    };
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
    this.#abort.abort(new StepFailure('ABORTED', 'the operator aborted this handset', 'Retry it, or unplug it and set it aside.'));
  }

  /**
   * The handset left its slot. A step that talks to it notices by itself; a wait does not, so the
   * wait ends here and the run waits for the handset instead, as after any unplugging.
   */
  unplugged(): void {
    this.#unplugged?.abort(new StepFailure('DISCONNECTED', 'the handset was unplugged while it waited', 'Plug the handset in again in fastboot mode; it resumes where it stopped.'));
  }

  /** Waits for the running attempt, if any, to end. */
  async settled(): Promise<void> {
    while (this.#active) await this.#active;
  }

  /** Whether the last attempt got as far as the AT checks and failed there, so the checks alone can run again. */
  get canRecheck(): boolean {
    return !this.#active && this.#phase === 'failed' && this.#step === 'checks' && this.#lastFacts?.locked === true;
  }

  /** Runs the AT checks again on a handset whose checks failed, still booted behind `port`. */
  recheck(port: AtPresence): void {
    const facts = this.#lastFacts;
    const profile = this.#profile;
    if (!this.canRecheck || !facts || !profile) return;
    this.#run(async (signal) => {
      this.#steps = { ...this.#steps, checks: 'waiting', record: 'waiting', label: 'waiting' };
      this.#recordSeq = null;
      this.#set({ phase: 'running', reason: null });
      await this.#checkAndFinish(port, profile.profile, facts, signal);
    });
  }

  /**
   * Picks up a handset found booted behind `port` after a station restart, when the journal shows it
   * passed the lock step in this batch: its irreversible steps are done, so only the checks, the record
   * and the label remain. The record's evidence then comes from the journal (fuse words, lock state).
   */
  resumeBooted(port: AtPresence, device: DeviceEntry): void {
    if (this.#active || this.#phase === 'provisioned') return;
    this.#run(async (signal) => {
      const facts = newFacts();
      this.#lastFacts = facts;
      this.#serial = device.serial;
      this.#deviceId = device.id;
      this.#set({ phase: 'running', step: 'checks', reason: null });
      try {
        const history = this.#history();
        if (history.provisioned !== null) return this.#alreadyProvisioned(history.provisioned);
        if (history.alarm !== null || !history.passed.has('lock')) return this.#set({ phase: 'waiting-for-handset', step: null });
        const profile = this.#context.profiles.forProduct(device.identity['product'] ?? '');
        if (!profile) throw new StepFailure('NO_PROFILE', 'no device profile matches this handset', 'Plug the handset in in fastboot mode.');
        this.#profile = profile;
        const events = this.#context.records.journal.stepEvents(device.id);
        Object.assign(facts, factsFromJournal(device, events, this.#context.batch.bundle.manifest.policy.fuses));
        for (const step of ['detect', 'identify', 'precheck', 'flash', 'verify', 'fuse', 'lock'] as const) this.#steps[step] = 'passed';
        await this.#journal('reboot', 'passed', `found booted behind AT port ${displaySafe(port.path, 120)} after a station restart`);
      } catch (error) {
        return this.#fail(error, facts, signal);
      }
      await this.#checkAndFinish(port, this.#profile.profile, facts, signal);
    });
  }

  /** The last steps of an attempt whose irreversible steps are done: AT checks, record, label. */
  async #checkAndFinish(port: AtPresence, profile: DeviceProfile, facts: RunFacts, signal: AbortSignal): Promise<void> {
    try {
      await this.#checks(port, profile, facts, signal);
      await this.#finish(facts, null, signal);
    } catch (error) {
      await this.#fail(error, facts, signal);
    }
  }

  #start(presence: FastbootPresence): void {
    this.#run((signal) => this.#attempt(presence, signal));
  }

  #run(attempt: (signal: AbortSignal) => Promise<void>): void {
    this.#abort = new AbortController();
    this.#active = attempt(this.#abort.signal).finally(() => {
      this.#active = null;
      const next = this.#pending;
      this.#pending = null;
      if (next && this.#phase !== 'provisioned') this.#start(next);
    });
  }

  #set(changes: { phase?: RunPhase; step?: StepName | null; progress?: TransferProgress | null; reason?: FailureReason | null }): void {
    if (changes.phase !== undefined) this.#phase = changes.phase;
    if (changes.step !== undefined) this.#step = changes.step;
    if (changes.progress !== undefined) this.#progress = changes.progress;
    if (changes.reason !== undefined) this.#reason = changes.reason;
    this.#updatedAt = new Date().toISOString();
    this.#context.changed();
  }

  #mark(step: StepName, state: StepState): void {
    this.#steps[step] = state;
    this.#set(state === 'running' ? { step } : {});
  }

  async #attempt(presence: FastbootPresence, signal: AbortSignal): Promise<void> {
    this.#steps = initialSteps();
    this.#recordSeq = null;
    this.#decision = null;
    this.#set({ phase: 'running', step: 'detect', reason: null, progress: null });
    const facts = newFacts();
    this.#lastFacts = facts;
    let client: FastbootClient | null = null;
    try {
      this.#mark('detect', 'running');
      client = new FastbootClient(await presence.connect(signal));
      const profile = await this.#profileFor(presence, client, signal);
      const ops = new ProfiledFastboot(client, profile.profile);
      this.#mark('identify', 'running');
      const identity = await ops.readIdentity(signal);
      facts.identity = identity;
      this.#register(presence, identity);
      await this.#journal('detect', 'passed', `slot ${this.slot}, profile ${profile.profile.id}`);
      checkIdentity(presence, identity);
      await this.#journal('identify', 'passed', JSON.stringify({ ...identity, slot: this.slot }));
      const history = this.#history();
      if (history.alarm !== null) {
        throw new StepFailure(
          'QUARANTINED',
          `an earlier attempt raised an alarm on this handset (${history.alarm.slice(0, 300)}); it gets no further writes`,
          'Keep the handset in quarantine and hand it to the security officer with this message.',
        );
      }
      if (history.provisioned !== null) return this.#alreadyProvisioned(history.provisioned);
      await this.#pass(signal);
      this.#mark('precheck', 'running');
      this.#precheck(profile.profile, identity, history.started);
      await this.#journal('precheck', 'passed', null);
      // A bootloader without A/B slots refuses the variable: its slotted partitions are the `_a` ones.
      const currentSlot = await client.getvar('current-slot', { signal }).catch((error: unknown) => {
        if (error instanceof FastbootFailError) return 'a';
        throw error;
      });
      const targets = flashTargets(this.#context.batch.bundle, currentSlot);
      await this.#flashAndVerify(ops, targets, identity, history.started, facts, signal);
      await this.#awaitAuthorisation(signal);
      await this.#pass(signal);
      await this.#fuse(ops, profile.profile, facts, history.fuseMasksSent, signal);
      await this.#pass(signal);
      await this.#lock(ops, profile.profile, facts, signal);
      await this.#pass(signal);
      const port = await this.#reboot(ops, profile.profile, client, signal);
      client = null;
      await this.#checks(port, profile.profile, facts, signal);
      await this.#finish(facts, null, signal);
    } catch (error) {
      await client?.close().catch(() => undefined);
      await this.#fail(error, facts, signal);
    }
  }

  /** Holds at a step boundary while the batch is paused, in phase `paused`, and goes back to its phase on resume. */
  async #pass(signal: AbortSignal): Promise<void> {
    const gate = this.#context.gate;
    if (!gate.paused) return;
    const phase = this.#phase;
    this.#set({ phase: 'paused' });
    await this.#waiting((waitSignal) => gate.pass(waitSignal), signal);
    this.#set({ phase });
  }

  /**
   * A flashing place (--parallel), taken only while the batch runs: a handset queued for one when the
   * batch is paused gives it back and holds before its flash step like every other.
   */
  async #flashingPlace(signal: AbortSignal): Promise<() => void> {
    for (;;) {
      await this.#pass(signal);
      this.#set({ phase: 'queued', step: 'flash' });
      const release = await this.#waiting((waitSignal) => this.#context.flashing.take(waitSignal), signal);
      if (!this.#context.gate.paused) return release;
      release();
    }
  }

  /**
   * Before the first irreversible step of a batch started without its supervisor: waits, saying so,
   * until the records grant this handset every irreversible step of the policy. Asking is claiming:
   * a grant counts the handset against the authorisation's cap at once, so of the handsets woken by
   * one authorisation only as many go on as it covers, and the rest wait for the next. The fuse and
   * lock steps still ask for themselves before acting.
   */
  async #awaitAuthorisation(signal: AbortSignal): Promise<void> {
    const gate = this.#context.authorisation;
    const { fuses, lockBootloader } = this.#context.batch.bundle.manifest.policy;
    if (!gate || (fuses.length === 0 && !lockBootloader)) return;
    const granted = (): boolean => (fuses.length === 0 || this.#ask('fuse', fuses).authorised) && (!lockBootloader || this.#ask('lock', []).authorised);
    if (granted()) return;
    this.#set({ phase: 'waiting-for-authorisation', step: 'fuse' });
    await this.#waiting((waitSignal) => gate.wait(granted, waitSignal), signal);
    this.#set({ phase: 'running' });
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

  async #profileFor(presence: FastbootPresence, client: FastbootClient, signal: AbortSignal): Promise<LoadedProfile> {
    const profiles = this.#context.profiles;
    // USB ids pick the profile; over TCP there are none, so the standard product variable does.
    const found =
      presence.vendorId !== null && presence.productId !== null
        ? profiles.forUsb(presence.vendorId, presence.productId)
        : profiles.forProduct(await client.getvar('product', { signal }));
    if (!found) {
      throw new StepFailure(
        'NO_PROFILE',
        'no device profile matches this handset',
        'Nothing was written. Check that the handset is a supported model; a new model needs its profile in the station settings.',
      );
    }
    this.#profile = found;
    return found;
  }

  #register(presence: FastbootPresence, identity: FastbootIdentity): void {
    const serial = presence.serialNumber ?? identity.serialNumber;
    if (this.#serial !== null && this.#serial !== serial) this.#deviceId = null;
    this.#serial = serial;
    const entry = this.#context.records.registerDevice({
      batchId: this.#context.batch.id,
      serial,
      identity: { ...identityRecord(identity), slot: this.slot },
    });
    this.#deviceId = entry.id;
  }

  /** What earlier attempts of this handset in this batch proved, from the journal. */
  #history(): History {
    const events = this.#context.records.journal.stepEvents(this.#requireDevice());
    const passed = new Set(events.filter((event) => event.status === 'passed').map((event) => event.step));
    // A step that started may have acted before the station died, even if it never journaled an outcome.
    const started = new Set(events.filter((event) => event.status === 'started' || event.status === 'passed').map((event) => event.step));
    const alarm = events.find((event) => event.status === 'failed' && ALARM_CODES.some((code) => event.detail?.startsWith(`[${code}]`)));
    // Masks the device acknowledged: if their bits read back unset later, the device lied, and they are not sent again.
    const sent = new Map<string, number>();
    for (const event of events) {
      const entry = event.step === 'fuse' ? FUSE_JOURNAL.exec(event.detail ?? '') : null;
      if (!entry) continue;
      const key = `${entry[1]}/${entry[2]}`;
      sent.set(key, (sent.get(key) ?? 0) | Number.parseInt(entry[3] as string, 16));
    }
    // The record itself, not its journal entry: the station may have died between the two.
    const provisioned = this.#context.records.log.provisionedSeq(this.#requireDevice());
    return { passed, started, provisioned, alarm: alarm?.detail ?? null, fuseMasksSent: sent };
  }

  /** `startedBefore`: the steps an earlier attempt of this batch started. */
  #precheck(profile: DeviceProfile, identity: FastbootIdentity, startedBefore: ReadonlySet<StepName>): void {
    const manifest = this.#context.batch.bundle.manifest;
    const fit = checkBundleFits(manifest, identity);
    if (!fit.fits) {
      const first = fit.problems[0];
      throw new StepFailure(first?.code ?? 'WRONG_PRODUCT', fit.problems.map((problem) => problem.message).join(' '), 'Nothing was written. Set the handset aside for the right bundle.');
    }
    if (!profile.match.products.includes(identity.product)) {
      throw new StepFailure('WRONG_PRODUCT', `the handset's product ${displaySafe(identity.product, 64)} is not one its profile ${profile.id} covers`, 'Nothing was written. Set the handset aside.');
    }
    const millivolts = /^\d{1,6}$/.test(identity.batteryMillivolts) ? Number(identity.batteryMillivolts) : Number.NaN;
    if (Number.isNaN(millivolts)) {
      throw new StepFailure('BATTERY_UNKNOWN', `the handset reports its battery as '${displaySafe(identity.batteryMillivolts, 40)}', not millivolts`, 'Nothing was written. Set the handset aside.');
    }
    if (millivolts < profile.batteryFloorMillivolts) {
      throw new StepFailure(
        'BATTERY_LOW',
        `the battery is at ${millivolts} mV, below the ${profile.batteryFloorMillivolts} mV a safe flash needs`,
        'Nothing was written. Charge the handset for 30 minutes, then plug it in again.',
      );
    }
    if (identity.unlocked === null) {
      throw new StepFailure('LOCK_STATE_UNKNOWN', `the handset reports its lock state as '${displaySafe(identity.lockState, 40)}'`, 'Nothing was written. Set the handset aside.');
    }
    for (const fuse of manifest.policy.fuses) {
      if (!Object.hasOwn(profile.fuses, fuse)) {
        throw new StepFailure('UNKNOWN_FUSE', `the bundle demands fuse ${fuse}, which profile ${profile.id} does not define`, 'Nothing was written. The bundle and the profile disagree; tell the supervisor.');
      }
    }
    // Locked by us in an earlier attempt (even one that died before journaling it) is expected;
    // locked on arrival means someone else owned it.
    if (!identity.unlocked && !startedBefore.has('lock')) {
      throw new StepFailure('ARRIVES_LOCKED', 'the handset arrived with its bootloader locked, so it cannot be flashed', 'Nothing was written. Return it for unlocking by its previous owner.');
    }
  }

  async #flashAndVerify(
    ops: ProfiledFastboot,
    targets: readonly FlashTarget[],
    identity: FastbootIdentity,
    before: ReadonlySet<StepName>,
    facts: RunFacts,
    signal: AbortSignal,
  ): Promise<void> {
    // A handset this batch never flashed is flashed at once; otherwise its own hashes decide.
    if (before.has('flash') || !identity.unlocked) {
      this.#mark('verify', 'running');
      if ((await this.#mismatches(ops, targets, facts, signal)).length === 0) {
        await this.#journal('flash', 'passed', 'already flashed: every partition reads back the bundle\'s hash');
        await this.#journal('verify', 'passed', 'readback matches the manifest');
        return;
      }
      if (!identity.unlocked) {
        throw new StepFailure('LOCKED_UNVERIFIED', 'the bootloader is locked but the partitions do not hold this bundle', 'Set the handset aside and tell the supervisor.');
      }
    }
    const release = await this.#flashingPlace(signal);
    try {
      this.#set({ phase: 'running' });
      this.#mark('flash', 'running');
      await this.#journal('flash', 'started', targets.map((entry) => entry.target).join(', '));
      const total = targets.reduce((sum, entry) => sum + entry.partition.size, 0);
      const meter = new RateMeter(total);
      for (const { partition, target } of targets) {
        await ops.client.erase(target, { signal });
        const done = meter.done;
        await flashImage(ops.client, target, verifiedImage(this.#context.batch.bundle, partition.name, signal), {
          signal,
          onProgress: (progress) => {
            if (meter.update(done + progress.imageBytesRead)) this.#set({ progress: meter.progress(target) });
          },
        });
        meter.update(done + partition.size);
      }
      this.#set({ progress: null });
      await this.#journal('flash', 'passed', `${targets.length} partition(s), ${total} bytes`);
    } finally {
      release();
    }
    this.#mark('verify', 'running');
    const wrong = await this.#mismatches(ops, targets, facts, signal);
    if (wrong.length > 0) {
      throw new StepFailure('VERIFY_MISMATCH', `the handset's hash of ${wrong.join(', ')} does not match the bundle`, 'Nothing irreversible was done. Retry the handset; if it fails again, set it aside.');
    }
    await this.#journal('verify', 'passed', 'readback matches the manifest');
  }

  /** The written partitions whose device-side hash differs from the manifest's; every hash read lands in `facts`. */
  async #mismatches(ops: ProfiledFastboot, targets: readonly FlashTarget[], facts: RunFacts, signal: AbortSignal): Promise<string[]> {
    const wrong: string[] = [];
    facts.partitions = [];
    for (const { partition, target } of targets) {
      const hash = await ops.partitionHash(target, partition.expanded.size, signal);
      facts.partitions.push({ name: target, sha256: hash });
      if (hash !== partition.expanded.sha256) wrong.push(target);
    }
    return wrong;
  }

  async #fuse(ops: ProfiledFastboot, profile: DeviceProfile, facts: RunFacts, sentBefore: ReadonlyMap<string, number>, signal: AbortSignal): Promise<void> {
    const { fuses } = this.#context.batch.bundle.manifest.policy;
    this.#mark('fuse', 'running');
    if (fuses.length === 0) {
      await this.#journal('fuse', 'skipped', 'the bundle burns no fuses', { authorised: false, reason: 'the bundle policy burns no fuses' });
      return;
    }
    const plans = fuseWordPlans(profile, fuses);
    const decision = this.#authorise('fuse', fuses);
    const before: number[] = [];
    for (const plan of plans) before.push(await ops.readFuseWord(plan.bank, plan.word, signal));
    facts.fuseWordsBefore = plans.map((plan, index) => ({ bank: plan.bank, word: plan.word, value: before[index] as number }));
    await this.#journal('fuse', 'started', `words before: ${describeWords(plans, before)}`, decision);
    for (const [index, plan] of plans.entries()) {
      const was = before[index] as number;
      const missing = (plan.mask & ~was) >>> 0;
      const resent = (missing & (sentBefore.get(`${plan.bank}/${plan.word}`) ?? 0)) >>> 0;
      if (resent !== 0) {
        throw new StepFailure(
          'FUSE_READBACK_MISMATCH',
          `ALARM: fuse bank ${plan.bank} word ${plan.word} reads 0x${hex8(was)}, but the handset acknowledged burning bits 0x${hex8(resent)} in an earlier attempt`,
          'Quarantine the handset now and tell the security officer: a burn the handset acknowledged does not read back, and it is never sent twice.',
        );
      }
      // Never re-burn a bit the readback shows set; bits it shows unset were not burned (an interrupted
      // attempt never got the device's OKAY) and are burned now, as DESIGN's resume rule says.
      if (missing !== 0) await this.#program(ops, plan, missing, decision, signal);
      const after = await ops.readFuseWord(plan.bank, plan.word, signal);
      const expected = (was | plan.mask) >>> 0;
      facts.fuseWordsAfter.push({ bank: plan.bank, word: plan.word, value: after });
      if (after !== expected) {
        throw new StepFailure(
          'FUSE_READBACK_MISMATCH',
          `ALARM: fuse bank ${plan.bank} word ${plan.word} reads 0x${hex8(after)} after burning; 0x${hex8(expected)} was expected (${describeBits(after, expected)})`,
          'Quarantine the handset now and tell the security officer: its fuses are not what the policy demands.',
        );
      }
    }
    facts.fusesBurned = [...fuses];
    facts.authorisationId = decision.authorised ? decision.authorisationId : null;
    await this.#journal('fuse', 'passed', `words after: ${describeWords(plans, facts.fuseWordsAfter.map((entry) => entry.value))}`, decision);
  }

  /** Burns `mask` and journals that the device acknowledged it, so no later attempt sends those bits again. */
  async #program(ops: ProfiledFastboot, plan: FuseWordPlan, mask: number, decision: AuthorisationDecision, signal: AbortSignal): Promise<void> {
    await ops.programFuse(plan.bank, plan.word, mask, signal);
    await this.#journal('fuse', 'started', `programmed bank ${plan.bank} word ${plan.word} mask 0x${hex8(mask)}`, decision);
  }

  async #lock(ops: ProfiledFastboot, profile: DeviceProfile, facts: RunFacts, signal: AbortSignal): Promise<void> {
    this.#mark('lock', 'running');
    this.#decision = null;
    if (!this.#context.batch.bundle.manifest.policy.lockBootloader) {
      await this.#journal('lock', 'skipped', 'the bundle policy leaves the bootloader unlocked', { authorised: false, reason: 'the bundle policy does not lock' });
      return;
    }
    const decision = this.#authorise('lock', []);
    await this.#journal('lock', 'started', null, decision);
    const state = async (): Promise<string> => ops.client.getvar(profile.identity.lockState, { signal });
    if ((await state()) !== profile.lockStateValues.locked) await ops.lock(signal);
    const after = await state();
    if (after !== profile.lockStateValues.locked) {
      throw new StepFailure('LOCK_READBACK_MISMATCH', `after locking, the handset reports its lock state as '${displaySafe(after, 40)}'`, 'Set the handset aside and tell the supervisor.');
    }
    facts.locked = true;
    facts.lockState = after;
    facts.authorisationId ??= decision.authorised ? decision.authorisationId : null;
    await this.#journal('lock', 'passed', `${profile.identity.lockState}=${after}`, decision);
  }

  async #reboot(ops: ProfiledFastboot, profile: DeviceProfile, client: FastbootClient, signal: AbortSignal): Promise<AtPresence> {
    this.#mark('reboot', 'running');
    await this.#journal('reboot', 'started', null);
    await ops.reboot(signal);
    await client.close();
    this.#set({ phase: 'waiting-for-handset' });
    let port: AtPresence;
    try {
      port = await this.#context.waitForAtPort(this.#requireSerial(), profile, profile.timeouts.rebootMs, signal);
    } catch (error) {
      if (signal.aborted) throw error;
      throw new StepFailure(
        'REBOOT_TIMEOUT',
        `the handset did not come back as an AT port within ${profile.timeouts.rebootMs / 1000} s of rebooting`,
        'Unplug it, hold the fastboot button and plug it in again: it resumes after the lock step. If it never boots, set it aside.',
      );
    }
    this.#set({ phase: 'running' });
    await this.#journal('reboot', 'passed', `AT port ${displaySafe(port.path, 120)}`);
    return port;
  }

  async #checks(port: AtPresence, profile: DeviceProfile, facts: RunFacts, signal: AbortSignal): Promise<void> {
    this.#mark('checks', 'running');
    const client = new AtClient(await port.open(), displaySafe(port.path, 120));
    try {
      await syncAt(client, profile, signal);
      facts.checks = await runAtChecks(client, profile, { bundleVersion: this.#context.batch.bundle.manifest.version }, signal);
    } finally {
      await client.close();
    }
    const summary = facts.checks.map((check) => `${check.id}=${check.passed ? 'pass' : 'FAIL'}`).join(' ');
    const failed = facts.checks.filter((check) => !check.passed);
    if (failed.length > 0) {
      await this.#journal('checks', 'failed', summary);
      throw new StepFailure('CHECK_FAILED', failed.map((check) => check.reason).join(' '), failed[0]?.reason?.split('. ').slice(1).join('. ') || 'Set the handset aside.');
    }
    await this.#journal('checks', 'passed', summary);
  }

  async #finish(facts: RunFacts, reason: FailureReason | null, signal: AbortSignal): Promise<void> {
    const failedStep = reason ? this.#step : null;
    this.#mark('record', 'running');
    const imei = facts.checks.find((check) => check.records === 'imei')?.value ?? null;
    const firmware = facts.checks.find((check) => check.records === 'firmwareVersion')?.value ?? null;
    const { bundle } = this.#context.batch;
    const record = this.#context.records.commitProvisioningRecord({
      deviceId: this.#requireDevice(),
      product: facts.identity?.product ?? '',
      hwRevision: facts.identity?.hwRevision ?? null,
      bootloaderVersion: facts.identity?.bootloaderVersion ?? null,
      imei,
      firmwareVersion: firmware,
      bundleHash: bundle.manifestSha256,
      bundleVersion: bundle.manifest.version,
      fusesBurned: facts.fusesBurned,
      fuseReadback: facts.fuseWordsAfter,
      locked: facts.locked,
      outcome: reason ? 'failed' : 'provisioned',
      failedStep: reason ? (failedStep ?? 'detect') : null,
      failureReason: reason ? `[${reason.code}] ${reason.message}` : null,
      operatorId: this.#context.batch.operatorId,
      authorisationId: facts.authorisationId,
      evidence: this.#evidence(facts),
    });
    this.#recordSeq = record.seq;
    await this.#journal('record', 'passed', `${record.outcome} ${record.seq}`);
    if (reason) return;
    this.#mark('label', 'running');
    const label = await this.#context.labels.label(record, signal);
    await this.#journal('label', label.status, label.detail);
    this.#set({ phase: 'provisioned', step: null });
  }

  #evidence(facts: RunFacts): RecordEvidence {
    const authorisation = facts.authorisationId === null ? null : this.#context.records.authorisations.get(facts.authorisationId);
    const reported = (field: 'imei' | 'firmwareVersion'): string | null => facts.checks.find((check) => check.records === field)?.value ?? null;
    return {
      slot: this.slot,
      supervisorId: authorisation?.supervisorId ?? null,
      startedAt: facts.startedAt,
      finishedAt: new Date().toISOString(),
      identityBefore: facts.identity ? identityRecord(facts.identity) : {},
      identityAfter: facts.checks.length === 0 ? {} : { imei: reported('imei'), firmwareVersion: reported('firmwareVersion') },
      partitions: facts.partitions,
      fuseWordsBefore: facts.fuseWordsBefore,
      lockState: facts.lockState,
      checks: facts.checks.map((check) => ({ id: check.id, passed: check.passed, command: check.command, answer: check.answer })),
    };
  }

  /** Ends an attempt that threw: an operator's abort is the reason when it caused the failure. */
  async #fail(error: unknown, facts: RunFacts, signal: AbortSignal): Promise<void> {
    const reason = classifyFailure(signal.aborted && signal.reason instanceof StepFailure ? signal.reason : error);
    const step = this.#step ?? 'detect';
    this.#steps[step] = 'failed';
    const interrupted = reason.code === 'DISCONNECTED' || reason.code === 'ABORTED';
    this.#set({ phase: reason.code === 'ABORTED' ? 'aborted' : interrupted ? 'waiting-for-handset' : 'failed', reason, progress: null });
    if (this.#deviceId === null) return;
    try {
      const irreversible = isIrreversible(step);
      // A refused step did not run: it is journaled as skipped under the refusal, never as failed under a grant.
      const status = reason.code === 'NOT_AUTHORISED' ? 'skipped' : 'failed';
      await this.#journal(step, status, `[${reason.code}] ${reason.message}`, irreversible ? (this.#decision ?? { authorised: false, reason: reason.message }) : null);
      // An interrupted run is not an outcome: the handset comes back and its record is written then.
      if (!interrupted) {
        this.#step = step;
        await this.#finish(facts, reason, signal);
        this.#set({ phase: 'failed', step });
      }
    } catch (journalFailure) {
      this.#set({ reason: { ...reason, message: `${reason.message} (and the station could not journal it: ${classifyFailure(journalFailure).message})` } });
    }
  }

  /** Whether the records grant `step` to this handset now; a grant counts it against the authorisation's cap. */
  #ask(step: 'fuse' | 'lock', fuses: readonly string[]): AuthorisationDecision {
    return this.#context.records.isAuthorised({
      batchId: this.#context.batch.id,
      deviceSerial: this.#requireSerial(),
      step,
      ...(step === 'fuse' ? { fuses } : {}),
      bundleHash: this.#context.batch.bundle.manifestSha256,
    });
  }

  #authorise(step: 'fuse' | 'lock', fuses: readonly string[]): AuthorisationDecision {
    const decision = this.#ask(step, fuses);
    this.#decision = decision;
    if (!decision.authorised) {
      throw new StepFailure('NOT_AUTHORISED', `the ${step} step is not authorised: ${decision.reason}`, 'A supervisor must authorise the batch; then retry the handset.');
    }
    return decision;
  }

  async #journal(step: StepName, status: StepStatus, detail: string | null, authorisation: AuthorisationDecision | null = null): Promise<void> {
    this.#context.records.appendStepEvent({ deviceId: this.#requireDevice(), step, status, detail, operatorId: this.#context.batch.operatorId, authorisation });
    // Step events commit without an fsync on this thread; what precedes a burn or a lock must survive a power cut.
    if (status === 'started' && isIrreversible(step)) await this.#context.records.durable();
    if (status !== 'started') this.#mark(step, status === 'failed' ? 'failed' : status === 'skipped' ? 'skipped' : 'passed');
  }

  /** Its record says this batch provisioned it: nothing to do but show that. */
  #alreadyProvisioned(seq: number): void {
    for (const step of Object.keys(this.#steps) as StepName[]) this.#steps[step] = 'passed';
    this.#recordSeq = seq;
    this.#set({ phase: 'provisioned', step: null });
  }

  #requireDevice(): number {
    if (this.#deviceId === null) throw new Error('the handset is not registered yet');
    return this.#deviceId;
  }

  #requireSerial(): string {
    if (this.#serial === null) throw new Error('the handset has no serial number yet');
    return this.#serial;
  }
}

/** A handset whose serial cannot be trusted stops before any write. */
function checkIdentity(presence: FastbootPresence, identity: FastbootIdentity): void {
  const serial = presence.serialNumber ?? identity.serialNumber;
  const untrusted = 'Nothing was written. Set the handset aside: its identity cannot be trusted.';
  if (!SERIAL_NUMBER.test(serial)) {
    throw new StepFailure('SERIAL_INVALID', `the handset's serial number ${displaySafe(serial, 64)} is not 1-64 printable characters, so it cannot be labelled or recorded safely`, untrusted);
  }
  if (presence.serialNumber !== null && identity.serialNumber !== presence.serialNumber) {
    const claims = `${displaySafe(identity.serialNumber, 64)} over fastboot but ${displaySafe(presence.serialNumber, 64)} on USB`;
    throw new StepFailure('SERIAL_MISMATCH', `the handset calls itself ${claims}`, untrusted);
  }
}

/** What the journal says an earlier attempt established, for a handset resumed after its lock step. */
function factsFromJournal(device: DeviceEntry, events: readonly StepEvent[], policyFuses: readonly string[]): Partial<RunFacts> {
  const identity = device.identity;
  const text = (name: keyof FastbootIdentity): string => identity[name] ?? '';
  const fuse = events.findLast((event) => event.step === 'fuse' && event.status === 'passed');
  const lock = events.findLast((event) => event.step === 'lock' && event.status === 'passed');
  const words = [...(fuse?.detail ?? '').matchAll(/bank (\d+) word (\d+) = 0x([0-9a-f]{8})/g)].map((match) => ({
    bank: Number(match[1]),
    word: Number(match[2]),
    value: Number.parseInt(match[3] as string, 16),
  }));
  const granted = [fuse, lock].map((event) => event?.authorisation).find((decision) => decision?.authorised);
  return {
    identity: {
      serialNumber: text('serialNumber'),
      product: text('product'),
      hwRevision: text('hwRevision'),
      bootloaderVersion: text('bootloaderVersion'),
      lockState: text('lockState'),
      unlocked: identity['unlocked'] === 'true' ? true : identity['unlocked'] === 'false' ? false : null,
      batteryMillivolts: text('batteryMillivolts'),
    },
    fuseWordsAfter: words,
    fusesBurned: fuse ? [...policyFuses] : [],
    locked: true,
    lockState: lock?.detail?.split('=').slice(1).join('=') ?? null,
    authorisationId: granted?.authorised ? granted.authorisationId : null,
  };
}

/** The identify readback as the records store it: text values, exactly as the handset answered. */
function identityRecord(identity: FastbootIdentity): Record<string, string | null> {
  return { ...identity, unlocked: identity.unlocked === null ? null : String(identity.unlocked) };
}

/** The partitions to write on this handset: slotted ones on its active slot (or both slots). */
function flashTargets(bundle: VerifiedBundle, currentSlot: string): FlashTarget[] {
  const slot = /^[ab]$/.test(currentSlot) ? currentSlot : 'a';
  return bundle.manifest.partitions.flatMap((partition) => {
    const suffixes = SLOTTED_SUFFIX[partition.slot] ?? [`_${slot}`];
    return suffixes.map((suffix) => ({ partition, target: `${partition.name}${suffix}` }));
  });
}

/** The fuse bits the policy names, grouped into one mask per fuse word. */
function fuseWordPlans(profile: DeviceProfile, fuses: readonly string[]): FuseWordPlan[] {
  const plans = new Map<string, { bank: number; word: number; mask: number }>();
  for (const name of fuses) {
    const bit = profile.fuses[name];
    if (!bit) continue;
    const key = `${bit.bank}/${bit.word}`;
    const plan = plans.get(key) ?? { bank: bit.bank, word: bit.word, mask: 0 };
    plan.mask = (plan.mask | (1 << bit.bit)) >>> 0;
    plans.set(key, plan);
  }
  return [...plans.values()];
}

function hex8(value: number): string {
  return value.toString(16).padStart(8, '0');
}

function describeWords(plans: readonly FuseWordPlan[], values: readonly number[]): string {
  return plans.map((plan, index) => `bank ${plan.bank} word ${plan.word} = 0x${hex8(values[index] ?? 0)}`).join(', ');
}

function describeBits(actual: number, expected: number): string {
  const missing = (expected & ~actual) >>> 0;
  const extra = (actual & ~expected) >>> 0;
  return [missing ? `missing bits 0x${hex8(missing)}` : '', extra ? `unexpected bits 0x${hex8(extra)}` : ''].filter(Boolean).join(', ');
}
