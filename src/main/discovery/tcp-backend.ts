// Fastboot over TCP at configured endpoints (a network bootloader, a `lockstep sim --tcp` fleet). An
// endpoint is present while it accepts the FB01 handshake. It is probed only while no run holds a
// connection to it (a bootloader has one link), so an endpoint behaves like a USB port: it appears
// when a handset answers there and disappears when it stops answering. A run's connection that breaks
// under it (a link reset while the bootloader still listens) counts as an unplugging: the endpoint
// is detached when the run lets the connection go, and attached again once it answers a probe, as a
// USB handset re-enumerates, so the run starts a new attempt.
import { setTimeout as sleep } from 'node:timers/promises';
import { formatSlot, type Slot } from '../../shared/handset.ts';
import { describeFailure } from '../../shared/describe-failure.ts';
import type { SystemCondition, TransportStatus } from '../../shared/types.ts';
import { connectTcp } from '../fastboot/tcp-transport.ts';
import { TransportError, type FastbootTransport } from '../fastboot/transport.ts';
import type { DiscoveryBackend, FastbootPresence, PresenceSink } from './presence.ts';
import { systemCondition } from './system-condition.ts';

const PROBE_INTERVAL_MS = 1000;
const PROBE_TIMEOUT_MS = 2000;

type TcpSlot = Extract<Slot, { kind: 'tcp' }>;

interface Endpoint {
  readonly slot: TcpSlot;
  readonly id: string;
  present: boolean;
  inUse: number;
  /** Why its last probe failed, in the system's words and as a condition; null once it answers. */
  silence: { readonly text: string; readonly condition: SystemCondition } | null;
}

export class TcpBackend implements DiscoveryBackend {
  readonly transport = 'tcp' as const;
  readonly #endpoints: Endpoint[];
  readonly #stop = new AbortController();
  #sink: PresenceSink | null = null;
  #loop: Promise<void> | null = null;

  constructor(slots: readonly TcpSlot[]) {
    this.#endpoints = slots.map((slot) => ({ slot, id: formatSlot(slot), present: false, inUse: 0, silence: null }));
  }

  async start(sink: PresenceSink): Promise<void> {
    this.#sink = sink;
    await Promise.all(this.#endpoints.map((endpoint) => this.#probe(endpoint)));
    this.#loop = this.#watch();
  }

  status(): TransportStatus {
    const present = this.#endpoints.filter((endpoint) => endpoint.present).length;
    const total = this.#endpoints.length;
    const counts = { present: String(present), total: String(total) };
    const detail = `TCP: ${present} of ${total} configured endpoint(s) answering fastboot`;
    // The first endpoint that does not answer, and why: the rest of a range usually fails alike.
    const silent = this.#endpoints.find((endpoint) => !endpoint.present && endpoint.silence !== null);
    if (!silent?.silence) return { transport: 'tcp', available: true, detail, words: { key: 'tcpEndpoints', params: counts } };
    return {
      transport: 'tcp',
      available: true,
      detail: `${detail}; ${silent.id} does not: ${silent.silence.text}`,
      words: { key: 'tcpEndpointsSilent', params: { ...counts, endpoint: silent.id, condition: silent.silence.condition } },
    };
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    this.#sink = null;
    await this.#loop;
  }

  async #watch(): Promise<void> {
    while (!this.#stop.signal.aborted) {
      // Stopping ends the wait at once: a station closing should not wait out a probe interval.
      await sleep(PROBE_INTERVAL_MS, undefined, { signal: this.#stop.signal }).catch(() => undefined);
      if (this.#stop.signal.aborted) return;
      await Promise.all(this.#endpoints.filter((endpoint) => endpoint.inUse === 0).map((endpoint) => this.#probe(endpoint)));
    }
  }

  async #probe(endpoint: Endpoint): Promise<void> {
    const answering = await connectTcp(endpoint.slot.host, endpoint.slot.port, { timeoutMs: PROBE_TIMEOUT_MS, signal: this.#stop.signal }).then(
      (transport) => transport.close().then(() => true),
      (error: unknown) => {
        endpoint.silence = { text: describeFailure(error), condition: systemCondition(error) };
        return false;
      },
    );
    if (answering) endpoint.silence = null;
    // A run may have taken the endpoint while the probe ran: its own connection decides then.
    if (this.#stop.signal.aborted || endpoint.inUse > 0 || answering === endpoint.present) return;
    endpoint.present = answering;
    if (answering) this.#sink?.attach(this.#presence(endpoint));
    else this.#sink?.detach(endpoint.id);
  }

  #presence(endpoint: Endpoint): FastbootPresence {
    return {
      kind: 'fastboot',
      id: endpoint.id,
      slot: endpoint.slot,
      serial: null,
      vendorId: null,
      productId: null,
      connect: async (signal) => {
        endpoint.inUse += 1;
        try {
          return held(await connectTcp(endpoint.slot.host, endpoint.slot.port, { signal }), (broken) => this.#released(endpoint, broken));
        } catch (error) {
          endpoint.inUse -= 1;
          throw error;
        }
      },
    };
  }

  /**
   * A run's connection ended. After a break the endpoint is reported gone at once, whatever it answers
   * now, and the next probe that reaches it attaches it as new. A connection the run closed whole
   * changes nothing, so a handset that failed a step is not started again by itself.
   */
  #released(endpoint: Endpoint, broken: boolean): void {
    endpoint.inUse -= 1;
    if (!broken || !endpoint.present || this.#stop.signal.aborted) return;
    endpoint.present = false;
    this.#sink?.detach(endpoint.id);
  }
}

/**
 * The transport, telling the backend once that it is done with: when the link drops under it (a reset,
 * the device closing) or else when the run closes it. A broken link is released at once, so the
 * endpoint is probed again even before the run gets round to closing it.
 */
function held(transport: FastbootTransport, released: (broken: boolean) => void): FastbootTransport {
  let held = true;
  let closing = false;
  const release = (broken: boolean): void => {
    if (held) released(broken);
    held = false;
  };
  const watched = async <T>(operation: Promise<T>): Promise<T> => {
    try {
      return await operation;
    } catch (error) {
      // Only a drop of the link itself: a timeout or a protocol error leaves the link as it was.
      // An operation the station's own close cut short is no break either.
      if (!closing && error instanceof TransportError && error.failure === 'disconnected') release(true);
      throw error;
    }
  };
  return {
    name: transport.name,
    send: (parts, timeoutMs) => watched(transport.send(parts, timeoutMs)),
    receive: (timeoutMs) => watched(transport.receive(timeoutMs)),
    close: async () => {
      closing = true;
      try {
        await transport.close();
      } finally {
        release(false);
      }
    },
  };
}
