// Which AT port is this handset's. A handset that rebooted into its OS comes back as a serial port,
// and a port is only a claim: any device in the serial folder may answer with any serial. So every
// port is asked who it is (sync, then the profile's serial query) again and again with backoff until
// the waiting handset's reboot deadline, since a port that just booted may answer ERROR or nothing
// for a while. A port is handed to the waiting run only when
//   - it answered the run's serial, and its USB descriptor's serial (if listed) says the same;
//   - it sits on the handset's USB port path, where both are known (a USB slot and a located port);
//   - for a handset in a USB slot, it appeared after the handset's fastboot interface left that slot: the
//     OS port of a USB handset enumerates only after its bootloader's interface is gone, so a port that
//     was there before is some other device's (an impostor waiting in the folder is found so);
//   - no other present port claims the same serial: two claimants are an alarm (AT_PORT_CONFLICT),
//     and neither is used;
//   - every other present port has been asked at least once, so a second claimant already in the
//     folder is heard before the run is given the first.
// The run gets a view of the port bound to its handset: when a second port claims the handset while
// the first is bound, the run's open link to it is cut (AT_PORT_CONFLICT through the AT client) and
// the view opens no more, so no answer of a contested port reaches the handset's record.
import { parseSlot } from '../../shared/handset.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import { describeFailure } from '../../shared/describe-failure.ts';
import type { DeviceProfile } from '../../shared/profile.ts';
import { AtClient, type AtLink } from '../at/client.ts';
import { AtError } from '../at/errors.ts';
import type { AtPresence } from '../discovery/presence.ts';
import { readAtSerial, syncAt } from '../handset/at-checks.ts';
import { HandsetError } from '../handset/errors.ts';
import { StepFailure } from './failure.ts';

/** The first pause between two rounds of questions to a port that has not said who it is; doubled each round. */
const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 2000;

const CONFLICT_ACTION =
  'ALARM: quarantine the handset and hand it to the security officer with this message. Unplug whatever else offers the AT port(s) named before provisioning goes on in this station.';

export interface AtPortWait {
  readonly serial: string;
  /** The run's slot, formatted (`1-3.2`, `tcp:…`): a port located on another USB port is not this handset's. */
  readonly slot: string;
  /** The handset's profile: the dialect the ports are asked in. */
  readonly profile: DeviceProfile;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}

export interface AtPortsOptions {
  /** Every profile of the station: a port nobody waits for is asked in each dialect, for a handset that booted while the station was down. */
  readonly profiles: () => readonly DeviceProfile[];
  /** A port answered, unambiguously, for a handset nobody waits for. */
  readonly unclaimed: (port: AtPresence, serial: string) => void;
}

/** What one round of questions to a port came to. */
type Outcome = { readonly kind: 'serial'; readonly serial: string } | { readonly kind: 'silent'; readonly detail: string } | { readonly kind: 'no-answer' };

interface Port {
  readonly presence: AtPresence;
  readonly appearedAt: number;
  /** When it appeared among discovery's events (see `#events`). */
  readonly appearedEvent: number;
  /** Ends the round under way and the pause between rounds: the port left, or the station stops. */
  readonly gone: AbortController;
  /** The serial it answered; asked no more after. */
  answered: string | null;
  /** Rounds of questions finished. */
  rounds: number;
  /** It said something (OK or an error result) at some point: a later silence is the handset's fault. */
  spoke: boolean;
  /** Why its last round got no answer in time after it spoke; null once it answers again. */
  silence: string | null;
  probing: boolean;
  /** Handed to `unclaimed` already (once is enough: the batch decides then). */
  offered: boolean;
  /** Ends the pause between rounds early: a new handset waits, with its own dialect. */
  wake: (() => void) | null;
}

/** A port handed to a run as its handset's, for as long as the port is present. */
interface Binding {
  readonly serial: string;
  readonly port: Port;
  /** The links the run opened through its view, open now. */
  readonly links: Set<AtLink>;
  /** Set once another port claims the handset: the view is cut and opens no more. */
  conflict: StepFailure | null;
}

interface Waiter {
  readonly request: AtPortWait;
  readonly deadline: number;
  readonly resolve: (port: AtPresence) => void;
  readonly reject: (failure: unknown) => void;
}

export class AtPorts {
  readonly #options: AtPortsOptions;
  readonly #ports = new Map<string, Port>();
  readonly #waiters = new Set<Waiter>();
  /** By port id: the ports handed over. */
  readonly #bindings = new Map<string, Binding>();
  /** Per USB slot, whether a handset is in fastboot there, as of which discovery event. */
  readonly #fastboot = new Map<string, { readonly present: boolean; readonly event: number }>();
  /** Counts discovery's events, to order a port's appearance against a fastboot interface leaving (clock time may tie). */
  #events = 0;
  #stopped = false;

  constructor(options: AtPortsOptions) {
    this.#options = options;
  }

  /** A port appeared in discovery: it is asked who it is. */
  appeared(presence: AtPresence): void {
    if (this.#stopped) return;
    this.#ports.get(presence.id)?.gone.abort();
    const port: Port = { presence, appearedAt: Date.now(), appearedEvent: ++this.#events, gone: new AbortController(), answered: null, rounds: 0, spoke: false, silence: null, probing: false, offered: false, wake: null };
    this.#ports.set(presence.id, port);
    this.#probe(port);
  }

  /** Discovery saw a handset in fastboot in `slot` (a fastboot presence's id), or saw it leave. */
  fastboot(slot: string, present: boolean): void {
    if (!isUsbSlot(slot)) return;
    this.#fastboot.set(slot, { present, event: ++this.#events });
    this.#settle();
  }

  left(id: string): void {
    const port = this.#ports.get(id);
    if (!port) return;
    this.#ports.delete(id);
    if (this.#bindings.get(id)?.port === port) this.#bindings.delete(id);
    port.gone.abort();
    port.wake?.();
    this.#settle();
  }

  /**
   * The AT port of handset `serial`, once one is proved its own; rejects with a StepFailure: AT_PORT_CONFLICT
   * (two claimants, or a port whose descriptor or USB location contradicts its answer), AT_TIMEOUT (a port
   * that could be the handset's spoke and went silent) or REBOOT_TIMEOUT (no port answered for it).
   */
  wait(request: AtPortWait): Promise<AtPresence> {
    return new Promise<AtPresence>((resolve, reject) => {
      if (request.signal.aborted) return reject(request.signal.reason);
      const timer = setTimeout(() => finish(() => reject(this.#timedOut(request))), request.timeoutMs);
      const onAbort = (): void => finish(() => reject(request.signal.reason));
      const finish = (settle: () => void): void => {
        if (!this.#waiters.delete(waiter)) return;
        clearTimeout(timer);
        request.signal.removeEventListener('abort', onAbort);
        settle();
      };
      const waiter: Waiter = {
        request,
        deadline: Date.now() + request.timeoutMs,
        resolve: (port) => finish(() => resolve(port)),
        reject: (failure) => finish(() => reject(failure)),
      };
      request.signal.addEventListener('abort', onAbort, { once: true });
      this.#waiters.add(waiter);
      this.#settle();
      for (const port of this.#ports.values()) {
        port.wake?.();
        this.#probe(port);
      }
    });
  }

  /** The present port proved to be the port of handset `serial` in `slot`, if one is, bound to it: for checking a booted handset again. */
  portOf(serial: string, slot: string): AtPresence | undefined {
    const verdict = this.#verdict(serial, slot);
    return verdict instanceof StepFailure || verdict === null ? undefined : this.#bind(verdict, serial);
  }

  stop(): void {
    this.#stopped = true;
    for (const port of this.#ports.values()) {
      port.gone.abort();
      port.wake?.();
    }
    this.#ports.clear();
  }

  /** Asks `port` round after round, with backoff, for as long as somebody may want its answer. */
  #probe(port: Port): void {
    if (port.probing || port.answered !== null) return;
    port.probing = true;
    void (async () => {
      let pause = FIRST_RETRY_MS;
      try {
        for (;;) {
          const dialects = this.#dialects(port);
          if (dialects.length === 0 || port.gone.signal.aborted) return;
          const outcome = await ask(port, dialects);
          if (port.gone.signal.aborted) return;
          port.rounds += 1;
          if (outcome.kind === 'serial') {
            port.answered = outcome.serial;
            port.silence = null;
            return;
          }
          port.silence = outcome.kind === 'silent' && port.spoke ? outcome.detail : null;
          this.#settle();
          await this.#pause(port, pause);
          pause = Math.min(pause * 2, MAX_RETRY_MS);
        }
      } finally {
        port.probing = false;
        if (!port.gone.signal.aborted) this.#settle();
      }
    })();
  }

  /**
   * The dialects to ask `port` in now: those of the handsets waiting (the one its descriptor or USB
   * location points to first), and every profile's while the port is new enough to be a handset that
   * booted unwatched. None: nobody wants its answer any more.
   */
  #dialects(port: Port): DeviceProfile[] {
    const now = Date.now();
    const waiting = [...this.#waiters].filter((waiter) => waiter.deadline > now);
    const pointed = (waiter: Waiter): boolean => port.presence.serial === waiter.request.serial || port.presence.usbPort === waiter.request.slot;
    const profiles = [...waiting.filter(pointed), ...waiting.filter((waiter) => !pointed(waiter))].map((waiter) => waiter.request.profile);
    const all = this.#options.profiles();
    const unwatchedFor = Math.max(0, ...all.map((profile) => profile.timeouts.rebootMs));
    if (now - port.appearedAt < unwatchedFor) profiles.push(...all);
    return [...new Map(profiles.map((profile) => [profile.id, profile])).values()];
  }

  #pause(port: Port, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        port.wake = null;
        resolve();
      }
      port.wake = done;
      if (port.gone.signal.aborted) done();
    });
  }

  /** Hands each waiting run its port, or its alarm; then hands over the ports nobody waits for. */
  #settle(): void {
    if (this.#stopped) return;
    this.#guardBindings();
    if (!this.#everyPortAsked()) return;
    for (const waiter of [...this.#waiters]) {
      const verdict = this.#verdict(waiter.request.serial, waiter.request.slot);
      if (verdict instanceof StepFailure) waiter.reject(verdict);
      else if (verdict !== null) waiter.resolve(this.#bind(verdict, waiter.request.serial));
    }
    for (const port of this.#ports.values()) {
      const serial = port.answered;
      if (serial === null || port.offered || [...this.#waiters].some((waiter) => waiter.request.serial === serial)) continue;
      // A claim another port contradicts is nobody's: such a handset is left to the operator.
      if (this.#claimants(serial).length > 1 || descriptorProblem(port, serial) !== null) continue;
      port.offered = true;
      this.#options.unclaimed(port.presence, serial);
    }
  }

  /**
   * The run's view of `presence`, bound to handset `serial` for as long as the port is present: it opens
   * the port only while no other port claims the handset, and its open links are cut when one does.
   */
  #bind(presence: AtPresence, serial: string): AtPresence {
    const port = this.#ports.get(presence.id) as Port;
    const earlier = this.#bindings.get(presence.id);
    const binding: Binding = earlier?.port === port && earlier.serial === serial ? earlier : { serial, port, links: new Set(), conflict: null };
    this.#bindings.set(presence.id, binding);
    return {
      ...presence,
      open: async () => {
        if (binding.conflict) throw binding.conflict;
        const link = await presence.open();
        if (binding.conflict) {
          await link.close().catch(() => undefined);
          throw binding.conflict;
        }
        binding.links.add(link);
        return {
          stream: link.stream,
          close: async () => {
            binding.links.delete(link);
            await link.close();
          },
        };
      },
    };
  }

  /** Cuts the bound ports whose handset another present port now claims too. */
  #guardBindings(): void {
    for (const binding of this.#bindings.values()) {
      const claimants = this.#claimants(binding.serial);
      if (binding.conflict || claimants.length < 2) continue;
      binding.conflict = conflictOf(binding.serial, claimants);
      for (const link of binding.links) link.stream.destroy(new AtError('AT_PORT_CONFLICT', binding.conflict.message, { params: binding.conflict.params, ...(binding.conflict.detail === null ? {} : { detail: binding.conflict.detail }) }));
    }
  }

  /**
   * The port proved to be the port of handset `serial` in `slot`, the alarm when a port's claim to be it is
   * contradicted, or null when no port answered as it. Only once every present port has been asked.
   */
  #verdict(handset: string, slot: string): AtPresence | StepFailure | null {
    const claimants = this.#claimants(handset);
    const [first, second] = claimants;
    if (first === undefined) return null;
    const serial = displaySafe(handset, 64);
    if (second !== undefined) return conflictOf(handset, claimants);
    const fastboot = this.#fastboot.get(slot);
    // Still in fastboot as discovery sees it: no port can be its OS's yet; judged once the interface left.
    if (fastboot?.present) return null;
    const early = fastboot !== undefined && first.appearedEvent < fastboot.event ? `it was there before the handset left fastboot in ${displaySafe(slot, 120)}` : null;
    const problem = descriptorProblem(first, handset) ?? locationProblem(first, slot) ?? early;
    if (problem !== null) {
      const port = displaySafe(first.presence.path, 120);
      return new StepFailure('AT_PORT_CONFLICT', `the AT port ${port} answers as handset ${serial} but ${problem}; it is not used`, CONFLICT_ACTION, null, {
        detail: 'AT_PORT_MISPLACED',
        params: { port, serial },
      });
    }
    return first.presence;
  }

  /** The present ports that answered `serial`. */
  #claimants(serial: string): Port[] {
    return [...this.#ports.values()].filter((port) => port.answered === serial);
  }

  /** Whether every present port finished a round of questions (or is asked no more), so no claimant already present is unheard. */
  #everyPortAsked(): boolean {
    return [...this.#ports.values()].every((port) => port.rounds > 0 || !port.probing);
  }

  /** Why nothing was handed over by the deadline: a port that could be the handset's went silent, or none answered. */
  #timedOut(request: AtPortWait): StepFailure {
    const seconds = request.timeoutMs / 1000;
    const silent = [...this.#ports.values()].find(
      (port) => port.silence !== null && port.answered === null && (port.presence.serial ?? request.serial) === request.serial && locationProblem(port, request.slot) === null,
    );
    if (silent) {
      return new StepFailure(
        'AT_TIMEOUT',
        `the AT port ${displaySafe(silent.presence.path, 120)} answered, then went silent before it said which handset it is (${silent.silence}); no port answered as ${displaySafe(request.serial, 64)} within ${seconds} s of rebooting`,
        'Power-cycle the handset; if its AT port stays silent, set it aside for the repair bench.',
        null,
        { detail: 'AT_PORT_SILENT', params: { port: displaySafe(silent.presence.path, 120), serial: displaySafe(request.serial, 64), seconds: String(seconds) } },
      );
    }
    return new StepFailure(
      'REBOOT_TIMEOUT',
      `no AT port answered as handset ${displaySafe(request.serial, 64)} within ${seconds} s of rebooting (${this.#ports.size} port(s) present)`,
      'Unplug it, hold the fastboot button and plug it in again: it resumes after the lock step. If it never boots, set it aside.',
      null,
      { detail: 'REBOOT_NO_PORT_ANSWERED', params: { serial: displaySafe(request.serial, 64), seconds: String(seconds), ports: String(this.#ports.size) } },
    );
  }
}

/** One round: open the port, sync, ask its serial in each dialect until one answers; the port is closed after. */
async function ask(port: Port, dialects: readonly DeviceProfile[]): Promise<Outcome> {
  const name = displaySafe(port.presence.path, 120);
  const signal = port.gone.signal;
  let client: AtClient | null = null;
  try {
    client = new AtClient(await port.presence.open(), name);
    await syncAt(client, dialects[0] as DeviceProfile, signal);
    port.spoke = true;
    for (const profile of dialects) {
      const serial = await readAtSerial(client, profile, signal);
      if (serial !== null) return { kind: 'serial', serial };
    }
    return { kind: 'no-answer' };
  } catch (error) {
    // An ERROR answer to the sync still shows a live port; busy, gone or noisy is just no answer this round.
    if (error instanceof HandsetError && error.code === 'UNEXPECTED_ANSWER') port.spoke = true;
    return error instanceof HandsetError && error.code === 'AT_TIMEOUT' ? { kind: 'silent', detail: describeFailure(error, 300) } : { kind: 'no-answer' };
  } finally {
    await client?.close().catch(() => undefined);
  }
}

/** The alarm of several ports answering as one handset. */
function conflictOf(serial: string, claimants: readonly Port[]): StepFailure {
  const ports = claimants.map((port) => displaySafe(port.presence.path, 120));
  const shown = displaySafe(serial, 64);
  return new StepFailure('AT_PORT_CONFLICT', `${claimants.length} AT ports answer as handset ${shown}: ${ports.join(' and ')}; neither is used`, CONFLICT_ACTION, null, {
    detail: 'AT_PORTS_CLAIM_ONE',
    params: { count: String(claimants.length), serial: shown, ports: ports.join(', ') },
  });
}

/** Why the port's USB descriptor contradicts its answer `serial`, or null. */
function descriptorProblem(port: Port, serial: string): string | null {
  const listed = port.presence.serial;
  return listed === null || listed === serial ? null : `its USB descriptor gives the serial ${displaySafe(listed, 64)}`;
}

/** Why the port cannot be in `slot`: both are USB port paths and differ. Null when they agree or either is unknown. */
function locationProblem(port: Port, slot: string): string | null {
  const usbPort = port.presence.usbPort;
  if (usbPort === null || !isUsbSlot(slot) || usbPort === slot) return null;
  return `it sits on USB port ${displaySafe(usbPort, 40)} while the handset is in ${displaySafe(slot, 120)}`;
}

/** A USB port path, where a handset's AT port can be tied to its slot (a TCP endpoint has no such tie). */
function isUsbSlot(slot: string): boolean {
  const parsed = parseSlot(slot);
  return !('problem' in parsed) && parsed.kind === 'usb';
}
