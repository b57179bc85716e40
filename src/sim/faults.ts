// Fault injection for one handset: what the scenario says should go wrong, and how many times.
// Counters live for one simulator run; a restart re-arms every fault.
import type { CommandChannel } from './command-log.ts';
import type { Capability } from './running-system.ts';
import type { Fault } from './scenario.ts';

export type CommandFault = { readonly kind: 'fail'; readonly message: string } | { readonly kind: 'stall' };

export interface DetachFault {
  readonly afterDownloadBytes: number;
  readonly reattachAfterMs: number | null;
}

export class FaultPlan {
  readonly #faults: readonly Fault[];
  readonly #left = new Map<Fault, number>();

  constructor(faults: readonly Fault[]) {
    this.#faults = faults;
    for (const fault of faults) if ('times' in fault && fault.times !== 'always') this.#left.set(fault, fault.times);
  }

  /** The FAIL or stall armed for this command of this engine (matched by prefix), consuming one of its times. */
  takeCommandFault(channel: CommandChannel, command: string): CommandFault | null {
    for (const fault of this.#faults) {
      if ((fault.kind === 'fail' || fault.kind === 'stall') && fault.on === channel && command.startsWith(fault.command) && this.#take(fault)) {
        return fault.kind === 'fail' ? { kind: 'fail', message: fault.message } : { kind: 'stall' };
      }
    }
    return null;
  }

  /**
   * Whether this fastboot command (matched by prefix) is to run and then lose its answer to an unplug,
   * consuming one of the fault's times: the reattach delay, or null when none is armed.
   */
  takeDetachAfter(command: string): { readonly reattachAfterMs: number | null } | null {
    for (const fault of this.#faults) {
      if (fault.kind === 'detach-after' && command.startsWith(fault.command) && this.#take(fault)) return { reattachAfterMs: fault.reattachAfterMs };
    }
    return null;
  }

  /** The next armed unplug-during-download, without consuming it. */
  pendingDetach(): DetachFault | null {
    for (const fault of this.#faults) if (fault.kind === 'detach' && this.#armed(fault)) return fault;
    return null;
  }

  /** Consumes one time of the unplug fault `pendingDetach` returned. */
  consumeDetach(detach: DetachFault): void {
    const fault = this.#faults.find((candidate) => candidate === detach);
    if (fault) this.#take(fault);
  }

  /** Whether this reboot into the system hangs (consuming one of the fault's times). */
  takeRebootHang(): boolean {
    return this.#faults.some((fault) => fault.kind === 'reboot-hang' && this.#take(fault));
  }

  /** The OS sends unsolicited lines and noise bytes on its AT port. */
  get atNoise(): boolean {
    return this.#faults.some((fault) => fault.kind === 'at-noise');
  }

  /** The OS reports this part present even when its disable fuse is burned. */
  liesAbout(capability: Capability): boolean {
    return this.#faults.some((fault) => fault.kind === 'capability-lie' && fault.capability === capability);
  }

  /** Bits that a fuse read of this word reports as 0 whatever was burned. */
  readbackClearBits(bank: number, word: number): number {
    let bits = 0;
    for (const fault of this.#faults) if (fault.kind === 'fuse-readback' && fault.bank === bank && fault.word === word) bits |= fault.clearBits;
    return bits >>> 0;
  }

  /** The link rate a slow-link fault imposes, or the given default. */
  linkBytesPerSecond(normal: number): number {
    const slow = this.#faults.flatMap((fault) => (fault.kind === 'slow-link' ? [fault.bytesPerSecond] : []));
    return slow.length === 0 ? normal : Math.min(...slow, ...(normal > 0 ? [normal] : []));
  }

  #armed(fault: Fault): boolean {
    return !this.#left.has(fault) || (this.#left.get(fault) ?? 0) > 0;
  }

  #take(fault: Fault): boolean {
    if (!this.#armed(fault)) return false;
    const left = this.#left.get(fault);
    if (left !== undefined) this.#left.set(fault, left - 1);
    return true;
  }
}
