// The serial ports of the fleet's booted handsets, in process: what `serialport` lists and opens
// on a real station, for code that does not need a real tty (servePty provides one when it does).
import type { Duplex } from 'node:stream';
import { displaySafe } from '../shared/untrusted.ts';
import { SerialPortError, type SimAtPort, type SimSerialPortInfo } from './at-port.ts';
import type { SimHandset } from './handset.ts';
import { notifyEach } from './listeners.ts';

export interface SimSerialPortChange {
  readonly kind: 'added' | 'removed';
  readonly port: SimSerialPortInfo;
}

type ChangeListener = (change: SimSerialPortChange) => void;

export class SimSerialBus {
  readonly #handsets: readonly SimHandset[];
  readonly #stops: (() => void)[] = [];
  readonly #listeners = new Set<ChangeListener>();

  constructor(handsets: readonly SimHandset[]) {
    this.#handsets = handsets;
    for (const handset of handsets) {
      let known: SimAtPort | null = handset.atPort;
      this.#stops.push(
        handset.onModeChange(() => {
          const current = handset.atPort;
          if (known && known !== current) this.#fire({ kind: 'removed', port: known.info });
          if (current && current !== known) this.#fire({ kind: 'added', port: current.info });
          known = current;
        }),
      );
    }
  }

  /** How many ports there can be at once: one per handset. */
  get capacity(): number {
    return this.#handsets.length;
  }

  /** The AT ports of the handsets running their OS, in fleet order. */
  list(): SimSerialPortInfo[] {
    return this.#handsets.flatMap((handset) => (handset.atPort ? [handset.atPort.info] : []));
  }

  /** Opens a port by its `path`; throws a SerialPortError for a port that is not there or already open. */
  open(path: string): Duplex {
    const port = this.#handsets.find((handset) => handset.atPort?.path === path)?.atPort;
    if (!port) throw new SerialPortError(`no serial port ${displaySafe(path, 80)}: no booted handset offers it (a port appears once its handset has booted)`);
    return port.open();
  }

  /** Calls `listener` whenever a port appears or disappears; returns the function that stops it. */
  onChange(listener: ChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops following the handsets (the fleet is closing). */
  detachAll(): void {
    for (const stop of this.#stops.splice(0)) stop();
    this.#listeners.clear();
  }

  #fire(change: SimSerialPortChange): void {
    notifyEach(this.#listeners, change);
  }
}
