// A TCP proxy for the tests that drops connections at random points: each connection through it is
// given, from a seeded generator, a byte count in one direction after which both sockets are
// destroyed; a client that keeps each request and answer well under those counts still gets work
// done between cuts, so it converges. It knows nothing of the protocol it carries, so a cut
// lands anywhere: in the handshake, inside a request half sent, after a request arrived whole but
// before its answer (a lost acknowledgement), between statements. The seed makes a failure replay.
import { connect, createServer, type Socket } from 'node:net';

export interface DropProxyOptions {
  readonly target: { readonly host: string; readonly port: number };
  readonly seed: number;
  /** A cut falls within this many bytes sent by the client (requests); default 64 KiB. */
  readonly upstreamBytes?: number;
  /** A cut falls within this many bytes sent by the server (answers); default 4 KiB. */
  readonly downstreamBytes?: number;
}

export interface DropProxy {
  readonly port: number;
  /** Connections cut so far, each with the direction and byte at which it was cut. */
  readonly cuts: () => readonly { readonly direction: 'upstream' | 'downstream'; readonly at: number }[];
  readonly connections: () => number;
  readonly close: () => Promise<void>;
}

/** mulberry32: a small deterministic generator, so a seed replays the same cuts. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function startDropProxy(options: DropProxyOptions): Promise<DropProxy> {
  const random = generator(options.seed);
  const open = new Set<Socket>();
  const cuts: { direction: 'upstream' | 'downstream'; at: number }[] = [];
  let connections = 0;
  const server = createServer((inbound) => {
    connections += 1;
    const outbound = connect(options.target.port, options.target.host);
    const direction = random() < 0.5 ? 'upstream' : 'downstream';
    const limit = direction === 'upstream' ? (options.upstreamBytes ?? 65_536) : (options.downstreamBytes ?? 4_096);
    const cutAt = Math.floor(random() * limit);
    let cut = false;
    const drop = (): void => {
      inbound.destroy();
      outbound.destroy();
    };
    for (const [from, to, way] of [
      [inbound, outbound, 'upstream'],
      [outbound, inbound, 'downstream'],
    ] as const) {
      open.add(from);
      let passed = 0;
      from.on('data', (chunk: Buffer) => {
        if (cut) return;
        if (way !== direction || passed + chunk.length <= cutAt) {
          passed += chunk.length;
          to.write(chunk);
          return;
        }
        // The bytes before the cut go through; the rest never arrives.
        to.write(chunk.subarray(0, cutAt - passed), () => drop());
        cut = true;
        cuts.push({ direction, at: cutAt });
        from.pause();
      });
      from.on('error', drop);
      from.on('close', () => {
        open.delete(from);
        to.destroy();
      });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('the proxy has no port');
  return {
    port: address.port,
    cuts: () => cuts,
    connections: () => connections,
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
