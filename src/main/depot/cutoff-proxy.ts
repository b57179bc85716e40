// A TCP relay between one station and its depot that can be cut like a pulled network cable: every
// connection through it is dropped and new ones are refused until it is restored. `lockstep depot
// demo` cuts one station off the depot with it while the others carry on.
import { connect, createServer, type Socket } from 'node:net';

export interface CutoffProxy {
  readonly port: number;
  readonly cut: () => void;
  readonly restore: () => void;
  readonly close: () => Promise<void>;
}

export async function startCutoffProxy(target: { host: string; port: number }): Promise<CutoffProxy> {
  const open = new Set<Socket>();
  let cutOff = false;
  const server = createServer((inbound) => {
    if (cutOff) {
      inbound.destroy();
      return;
    }
    const outbound = connect(target.port, target.host);
    for (const [socket, other] of [
      [inbound, outbound],
      [outbound, inbound],
    ] as const) {
      open.add(socket);
      socket.on('error', () => other.destroy());
      socket.on('close', () => {
        open.delete(socket);
        other.destroy();
      });
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('the proxy has no port');
  return {
    port: address.port,
    cut: () => {
      cutOff = true;
      for (const socket of open) socket.destroy();
    },
    restore: () => {
      cutOff = false;
    },
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
