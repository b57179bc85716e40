// The simulated fleet's AT ports, in-process: the handsets that booted into their OS, each with the
// serial number its USB descriptor would carry, as a real serial port listing reports it, and the USB
// port path it is plugged into, as sysfs tells on a real Linux station.
import { formatSlot, parseSlot } from '../../shared/handset.ts';
import type { TransportStatus } from '../../shared/types.ts';
import type { SimSerialBus } from '../../sim/index.ts';
import { streamLink } from '../at/client.ts';
import type { AtPresence, DiscoveryBackend, PresenceSink } from './presence.ts';

export class SimSerialBackend implements DiscoveryBackend {
  readonly transport = 'simulator' as const;
  readonly #bus: SimSerialBus;
  readonly #present = new Set<string>();
  #stop: (() => void) | null = null;
  #sink: PresenceSink | null = null;

  constructor(bus: SimSerialBus) {
    this.#bus = bus;
  }

  async start(sink: PresenceSink): Promise<void> {
    this.#sink = sink;
    this.#stop = this.#bus.onChange(() => this.#sync());
    this.#sync();
  }

  status(): TransportStatus {
    const count = this.#present.size;
    return { transport: 'simulator', available: true, detail: `Simulated AT ports: ${count} handset(s) booted`, words: { key: 'simulatedPorts', params: { count: String(count) } } };
  }

  async stop(): Promise<void> {
    this.#stop?.();
    this.#stop = null;
    this.#sink = null;
  }

  #sync(): void {
    const ports = this.#bus.list();
    const now = new Set(ports.map((port) => `at:${port.path}`));
    for (const id of this.#present) {
      if (!now.has(id)) {
        this.#present.delete(id);
        this.#sink?.detach(id);
      }
    }
    for (const port of ports) {
      const id = `at:${port.path}`;
      if (this.#present.has(id)) continue;
      this.#present.add(id);
      const presence: AtPresence = {
        kind: 'at',
        id,
        path: port.path,
        serial: port.serial,
        vendorId: port.vendorId,
        productId: port.productId,
        usbPort: usbPortOf(port.usbPort),
        open: async () => streamLink(this.#bus.open(port.path)),
      };
      this.#sink?.attach(presence);
    }
  }
}

/** The bus's port path in the spelling of a USB slot, or null when it is not one. */
function usbPortOf(text: string): string | null {
  const slot = parseSlot(text);
  return 'problem' in slot || slot.kind !== 'usb' ? null : formatSlot(slot);
}
