// A TCP listener that plays a Zebra printer on raw port 9100 for the tests: it answers `~HS` with
// the state the test sets (paper out, head open, paused, buffer full) and keeps every other
// connection's bytes as one received job.
import { createServer, type Server, type Socket } from 'node:net';
import { formatHostStatus } from '../../../src/main/labels/printers/host-status.ts';

export interface ZebraState {
  paperOut?: boolean;
  headOpen?: boolean;
  paused?: boolean;
  bufferFull?: boolean;
  /** Accept connections but never answer or close them: a hung printer. */
  silent?: boolean;
}

export interface ZebraListener {
  readonly port: number;
  readonly jobs: Buffer[];
  statusQueries: number;
  state: ZebraState;
  close(): Promise<void>;
}

export async function startZebra(state: ZebraState = {}): Promise<ZebraListener> {
  const sockets = new Set<Socket>();
  const listener: ZebraListener = {
    port: 0,
    jobs: [],
    statusQueries: 0,
    state,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => {
      if (listener.state.silent) return;
      chunks.push(chunk);
      if (Buffer.concat(chunks).toString('latin1') === '~HS') {
        listener.statusQueries += 1;
        chunks.length = 0;
        socket.write(formatHostStatus(listener.state));
      }
    });
    socket.on('end', () => {
      if (listener.state.silent) return;
      if (chunks.length > 0) listener.jobs.push(Buffer.concat(chunks));
      socket.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the test printer has no TCP port');
  Object.assign(listener, { port: address.port });
  return listener;
}
