// A fault-injecting fastboot TCP proxy for the tests: it listens on 127.0.0.1, forwards each
// station connection to an upstream `lockstep sim --tcp` endpoint, parses the frames both ways and
// applies rules, given as data, to the packets it sees: lose an answer, lie in one, re-point the link
// to another handset, drip INFO for ever, stall, hold a packet until the test decides, or reset the
// link. Download data passes through unparsed. The proxy is a test tool: it sits where a flaky USB
// hub, a swapped cable or a lying bootloader would, so a test can prove what the station does then.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dataAnnounced, frame, FrameParser, type FramePiece } from './fastboot-frames.ts';

export interface Upstream {
  readonly host?: string;
  readonly port: number;
}

export type ProxyAction =
  /**
   * Close both sockets instead of passing the packet on (a reset link; the endpoint keeps listening).
   * With `refuseConnections`, that many next connections are refused first: the handset re-enumerates,
   * so a station probing the endpoint sees it gone and back.
   */
  | { readonly kind: 'reset'; readonly refuseConnections?: number }
  /** Pass this payload on instead (a lying handset). */
  | { readonly kind: 'rewrite'; readonly to: string }
  /** From this command on, the station's link (this one and every later connection) goes to another handset. */
  | { readonly kind: 'repoint'; readonly to: Upstream }
  /** Forward the command, swallow the device's answers and send the station `INFO<text>` every `everyMs`, never a final answer. */
  | { readonly kind: 'drip'; readonly everyMs: number; readonly text?: string }
  /** Swallow the command and everything after it on this connection, both ways. */
  | { readonly kind: 'stall' }
  /** Stop this direction of the connection at this packet until the test releases or closes it (see `nextHold`). */
  | { readonly kind: 'hold' };

export interface ProxyRule {
  /** Packets from the station (commands) or from the handset (responses). */
  readonly on: 'command' | 'response';
  /** The packet's text (Latin-1) starts with this string, or matches this expression. */
  readonly match: string | RegExp;
  /** For a response: the command it answers must start with this (or match it). */
  readonly answering?: string | RegExp;
  /** Only on a link to this upstream port (e.g. only once re-pointed to the second handset). */
  readonly upstream?: number;
  readonly action: ProxyAction;
  /** How many times the rule fires; default 1. */
  readonly times?: number | 'always';
  /** How many matching packets pass untouched before the rule fires (e.g. 1: the second fuse read); default 0. */
  readonly skip?: number;
}

/** A packet a hold rule stopped: nothing more flows that way on its connection until one of these is called. */
export interface HeldPacket {
  readonly direction: 'command' | 'response';
  readonly text: string;
  /** Passes the packet on and carries on forwarding. */
  release(): void;
  /** Closes both sockets; the packet never arrives. */
  close(): void;
}

export interface SeenPacket {
  readonly connection: number;
  readonly direction: 'command' | 'response';
  readonly text: string;
  /** What the proxy did with it. */
  readonly fate: 'forwarded' | ProxyAction['kind'] | 'swallowed';
}

type Decision = 'release' | 'close';

export class FastbootProxy {
  readonly #server: Server;
  readonly #rules: ArmedRule[];
  readonly #connections = new Set<ProxyConnection>();
  readonly #seen: SeenPacket[] = [];
  readonly #watchers = new Set<() => void>();
  readonly #holds: HeldPacket[] = [];
  readonly #holdWaiters: ((held: HeldPacket) => void)[] = [];
  #upstream: Upstream;
  #nextId = 1;
  #refuse = 0;
  port = 0;

  private constructor(upstream: Upstream, rules: readonly ProxyRule[]) {
    this.#upstream = upstream;
    this.#rules = rules.map(armed);
    this.#server = createServer((socket) => this.#accept(socket));
  }

  static async start(upstream: Upstream, rules: readonly ProxyRule[] = []): Promise<FastbootProxy> {
    const proxy = new FastbootProxy(upstream, rules);
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once('error', reject);
      proxy.#server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
    });
    const address = proxy.#server.address();
    if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
    proxy.port = address.port;
    return proxy;
  }

  /** `127.0.0.1:PORT`, as `--tcp` takes it. */
  get endpoint(): string {
    return `127.0.0.1:${this.port}`;
  }

  get upstream(): Upstream {
    return this.#upstream;
  }

  /** Every packet seen so far, both ways, with what became of it. */
  get seen(): readonly SeenPacket[] {
    return this.#seen;
  }

  /** Adds a rule after the ones already armed. */
  add(rule: ProxyRule): void {
    this.#rules.push(armed(rule));
  }

  /** How many times each rule has still to fire, in order. */
  get rulesLeft(): number[] {
    return this.#rules.map((entry) => entry.left);
  }

  /** Resolves with the first packet seen (earlier ones included) that satisfies `test`. */
  waitFor(test: (packet: SeenPacket) => boolean, timeoutMs = 60_000): Promise<SeenPacket> {
    const found = this.#seen.find(test);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#watchers.delete(check);
        reject(new Error(`the proxy saw no such packet in ${timeoutMs} ms; last: ${JSON.stringify(this.#seen.slice(-5))}`));
      }, timeoutMs);
      const check = (): void => {
        const match = this.#seen.find(test);
        if (!match) return;
        clearTimeout(timer);
        this.#watchers.delete(check);
        resolve(match);
      };
      this.#watchers.add(check);
    });
  }

  /** The next packet a hold rule stops (one already held first). */
  nextHold(timeoutMs = 60_000): Promise<HeldPacket> {
    const held = this.#holds.shift();
    if (held) return Promise.resolve(held);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no packet was held in ${timeoutMs} ms; last: ${JSON.stringify(this.#seen.slice(-5))}`)), timeoutMs);
      this.#holdWaiters.push((packet) => {
        clearTimeout(timer);
        resolve(packet);
      });
    });
  }

  /** Closes every connection now, both sides (the listener stays). */
  resetAll(): void {
    for (const connection of this.#connections) connection.close();
  }

  async close(): Promise<void> {
    this.resetAll();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** @internal The first armed rule for this packet, consuming one of its times. */
  takeRule(direction: 'command' | 'response', text: string, lastCommand: string | null, upstream: Upstream): ProxyAction | null {
    for (const entry of this.#rules) {
      const { rule } = entry;
      if (entry.left <= 0 || rule.on !== direction || !matches(rule.match, text)) continue;
      if (rule.upstream !== undefined && rule.upstream !== upstream.port) continue;
      if (rule.answering !== undefined && (lastCommand === null || !matches(rule.answering, lastCommand))) continue;
      if (entry.skip > 0) {
        entry.skip -= 1;
        continue;
      }
      entry.left -= 1;
      return rule.action;
    }
    return null;
  }

  /** @internal */
  record(packet: SeenPacket): void {
    this.#seen.push(packet);
    for (const watcher of [...this.#watchers]) watcher();
  }

  /** @internal */
  repoint(to: Upstream): void {
    this.#upstream = to;
  }

  /** @internal */
  hold(direction: 'command' | 'response', text: string): Promise<Decision> {
    return new Promise((decide) => {
      const held: HeldPacket = { direction, text, release: () => decide('release'), close: () => decide('close') };
      const waiter = this.#holdWaiters.shift();
      if (waiter) waiter(held);
      else this.#holds.push(held);
    });
  }

  /** Refuses the next `connections` connections (Infinity: the endpoint is gone until `acceptConnections`). */
  refuseNext(connections: number): void {
    this.#refuse += connections;
  }

  /** Accepts connections again. */
  acceptConnections(): void {
    this.#refuse = 0;
  }

  #accept(station: Socket): void {
    if (this.#refuse > 0) {
      this.#refuse -= 1;
      return void station.resetAndDestroy();
    }
    const connection = new ProxyConnection(this, this.#nextId++, station, this.#upstream);
    this.#connections.add(connection);
    station.once('close', () => this.#connections.delete(connection));
  }
}

interface ArmedRule {
  readonly rule: ProxyRule;
  left: number;
  skip: number;
}

function armed(rule: ProxyRule): ArmedRule {
  return { rule, left: rule.times === 'always' ? Number.POSITIVE_INFINITY : (rule.times ?? 1), skip: rule.skip ?? 0 };
}

function matches(pattern: string | RegExp, text: string): boolean {
  return typeof pattern === 'string' ? text.startsWith(pattern) : pattern.test(text);
}

/** One station connection and its upstream: two directions, each a chain of pieces handled in order. */
class ProxyConnection {
  readonly #proxy: FastbootProxy;
  readonly #id: number;
  readonly #station: Socket;
  #device: Socket;
  #upstream: Upstream;
  #toDevice: Promise<void> = Promise.resolve();
  #toStation: Promise<void> = Promise.resolve();
  #awaitingData = 0;
  #lastCommand: string | null = null;
  /** Swallowing the device's answers: a drip or a stall is under way. */
  #muted = false;
  /** Swallowing the station's packets too: a stall. */
  #stalled = false;
  #drip: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(proxy: FastbootProxy, id: number, station: Socket, upstream: Upstream) {
    this.#proxy = proxy;
    this.#id = id;
    this.#station = station;
    station.setNoDelay(true);
    const stationParser = new FrameParser({ awaitingData: () => this.#awaitingData, onData: (bytes) => (this.#awaitingData -= bytes) });
    station.on('data', (chunk: Buffer) => this.#queue('command', stationParser, chunk));
    station.on('error', () => this.close());
    station.on('close', () => this.close());
    this.#upstream = upstream;
    this.#device = this.#connectDevice(upstream, new FrameParser());
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#drip) clearInterval(this.#drip);
    this.#station.destroy();
    this.#device.destroy();
  }

  #connectDevice(upstream: Upstream, parser: FrameParser): Socket {
    const device = connect({ host: upstream.host ?? '127.0.0.1', port: upstream.port, noDelay: true });
    device.on('data', (chunk: Buffer) => {
      if (device === this.#device) this.#queue('response', parser, chunk);
    });
    device.on('error', () => {
      if (device === this.#device) this.close();
    });
    device.on('close', () => {
      if (device === this.#device) this.close();
    });
    return device;
  }

  #queue(direction: 'command' | 'response', parser: FrameParser, chunk: Buffer): void {
    if (this.#closed) return;
    let pieces: FramePiece[];
    try {
      pieces = parser.push(chunk);
    } catch {
      return this.close();
    }
    const handle = async (): Promise<void> => {
      for (const piece of pieces) if (!this.#closed) await this.#handle(direction, piece);
    };
    if (direction === 'command') this.#toDevice = this.#toDevice.then(handle, handle);
    else this.#toStation = this.#toStation.then(handle, handle);
  }

  async #handle(direction: 'command' | 'response', piece: FramePiece): Promise<void> {
    const out = direction === 'command' ? () => this.#device : () => this.#station;
    // The handshakes always pass: a drip or stall set up before the handset's FB01 came back must not eat it.
    if (piece.kind === 'handshake') return void out().write(piece.bytes);
    if ((direction === 'command' && this.#stalled) || (direction === 'response' && this.#muted)) return;
    if (piece.kind === 'raw') return void out().write(piece.bytes);
    const text = piece.payload.toString('latin1');
    if (direction === 'command') this.#lastCommand = text;
    const action = this.#proxy.takeRule(direction, text, direction === 'command' ? text : this.#lastCommand, this.#upstream);
    this.#proxy.record({ connection: this.#id, direction, text, fate: action?.kind ?? 'forwarded' });
    let payload: Buffer = piece.payload;
    switch (action?.kind) {
      case undefined:
        break;
      case 'reset':
        this.#proxy.refuseNext(action.refuseConnections ?? 0);
        return this.close();
      case 'rewrite':
        payload = Buffer.from(action.to, 'latin1');
        break;
      case 'repoint':
        await this.#repoint(action.to);
        break;
      case 'drip': {
        this.#muted = true;
        const info = frame(`INFO${action.text ?? 'writing'}`);
        this.#drip = setInterval(() => this.#station.write(info), action.everyMs);
        break;
      }
      case 'stall':
        this.#stalled = true;
        this.#muted = true;
        return;
      case 'hold':
        if ((await this.#proxy.hold(direction, text)) === 'close') return this.close();
        break;
    }
    if (direction === 'response') {
      const announced = dataAnnounced(payload);
      if (announced !== null) this.#awaitingData = announced;
    }
    if (!this.#closed) out().write(frame(payload));
  }

  /** Hangs up on the current handset and opens the link to `to`, handshake included, before the command goes there. */
  async #repoint(to: Upstream): Promise<void> {
    this.#proxy.repoint(to);
    this.#upstream = to;
    const old = this.#device;
    const parser = new FrameParser({ handshake: false });
    const device = this.#connectDevice(to, parser);
    this.#device = device;
    old.destroy();
    // The new handset's handshake answer is for the proxy: the station did its handshake long ago.
    await new Promise<void>((resolve, reject) => {
      let answer = Buffer.alloc(0);
      device.removeAllListeners('data');
      const onData = (chunk: Buffer): void => {
        answer = Buffer.concat([answer, chunk]);
        if (answer.length < 4) return;
        device.off('data', onData);
        device.on('data', (more: Buffer) => {
          if (device === this.#device) this.#queue('response', parser, more);
        });
        if (answer.length > 4) this.#queue('response', parser, answer.subarray(4));
        resolve();
      };
      device.on('data', onData);
      device.once('error', reject);
      device.write('FB01');
    }).catch(() => this.close());
  }
}
