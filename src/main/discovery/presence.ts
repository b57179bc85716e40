// What discovery reports: a handset present somewhere, in fastboot (USB or TCP) or booted into its
// OS behind an AT serial port. A presence is where a handset can be reached now; the pipeline
// decides which handset it is (by serial number) and what to do with it.
import type { Slot } from '../../shared/handset.ts';
import type { AtLink } from '../at/client.ts';
import type { TransportStatus } from '../../shared/types.ts';
import type { FastbootTransport } from '../fastboot/transport.ts';

export interface FastbootPresence {
  readonly kind: 'fastboot';
  /** The slot, formatted: unique among presences. */
  readonly id: string;
  readonly slot: Slot;
  /** The handset's serial as its USB descriptor claims it (unchecked), or null over TCP. */
  readonly serial: string | null;
  readonly vendorId: number | null;
  readonly productId: number | null;
  connect(signal?: AbortSignal): Promise<FastbootTransport>;
}

export interface AtPresence {
  readonly kind: 'at';
  /** `at:<path>`: unique among presences. */
  readonly id: string;
  readonly path: string;
  /** The serial the port listing's USB descriptor claims (unchecked); null for a hand-configured path, which must be asked. */
  readonly serial: string | null;
  readonly vendorId: number | null;
  readonly productId: number | null;
  /**
   * The USB port path the port's device is plugged into (`1-3.2`, spelled as a USB slot is), when the
   * host tells (Linux sysfs, the simulator's bus); null for a PTY or where it is not known. A handset's
   * AT port sits on the same port path as its fastboot interface.
   */
  readonly usbPort: string | null;
  open(): Promise<AtLink>;
}

export type Presence = FastbootPresence | AtPresence;

export interface PresenceSink {
  attach(presence: Presence): void;
  detach(id: string): void;
}

/** One way of finding handsets (USB bus, serial ports, TCP endpoints, the simulator). */
export interface DiscoveryBackend {
  readonly transport: TransportStatus['transport'];
  start(sink: PresenceSink): Promise<void>;
  status(): TransportStatus;
  stop(): Promise<void>;
}
