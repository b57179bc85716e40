// A protocol test fixture: a TCP fastboot peer whose every byte the test scripts, so that the
// client can be shown exact (and exactly wrong) wire traffic. Not a device: see src/sim for that.
import { createServer, type Server, type Socket } from 'node:net';
import { FastbootClient, type ClientOptions } from '../../../src/main/fastboot/client.ts';
import { connectTcp } from '../../../src/main/fastboot/tcp-transport.ts';

export interface Peer {
  /** The next frame the client sent, or null if the client closed the connection. */
  readFrame(): Promise<Buffer | null>;
  /** Sends one response packet as one frame. */
  reply(packet: string | Buffer): void;
  /** Writes raw bytes (no framing). */
  raw(bytes: Buffer): void;
  readonly socket: Socket;
}

export interface ScriptedPeer {
  readonly port: number;
  /** Resolves when the script finished; rejects with its error. */
  readonly done: Promise<void>;
  close(): Promise<void>;
}

/** Serves one connection: answers the FB01 handshake with `hello`, then runs `script`. */
export async function scriptedPeer(script: (peer: Peer) => Promise<void>, hello = 'FB01'): Promise<ScriptedPeer> {
  let finish: (error?: unknown) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => (finish = (error) => (error === undefined ? resolve() : reject(error))));
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    const peer = framedPeer(socket);
    (async () => {
      const greeting = await peer.readExact(4);
      if (greeting?.toString() !== 'FB01') throw new Error(`handshake was ${greeting?.toString()}`);
      socket.write(hello);
      await script(peer);
    })().then(() => finish(), finish);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    done,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Clients connected to scripted peers, all released by `release()` (from afterEach). */
export function scriptedConnections() {
  const peers: ScriptedPeer[] = [];
  const clients: FastbootClient[] = [];
  return {
    async connect(script: (peer: Peer) => Promise<void>, options: { hello?: string; client?: ClientOptions } = {}): Promise<{ client: FastbootClient; peer: ScriptedPeer }> {
      const peer = await scriptedPeer(script, options.hello);
      peers.push(peer);
      const client = new FastbootClient(await connectTcp('127.0.0.1', peer.port), options.client);
      clients.push(client);
      return { client, peer };
    },
    /** Remembers a peer the test connected to itself. */
    track(peer: ScriptedPeer): void {
      peers.push(peer);
    },
    async release(): Promise<void> {
      await Promise.all(clients.splice(0).map((client) => client.close()));
      await Promise.all(peers.splice(0).map((peer) => peer.close()));
    },
  };
}

function framedPeer(socket: Socket): Peer & { readExact(length: number): Promise<Buffer | null> } {
  let buffered = Buffer.alloc(0);
  let ended = false;
  let wake: (() => void) | null = null;
  socket.on('data', (data: Buffer) => {
    buffered = Buffer.concat([buffered, data]);
    wake?.();
  });
  socket.on('close', () => {
    ended = true;
    wake?.();
  });
  const readExact = async (length: number): Promise<Buffer | null> => {
    while (buffered.length < length) {
      if (ended) return null;
      await new Promise<void>((resolve) => (wake = resolve));
    }
    const out = buffered.subarray(0, length);
    buffered = buffered.subarray(length);
    return out;
  };
  return {
    socket,
    readExact,
    async readFrame() {
      const header = await readExact(8);
      return header === null ? null : readExact(Number(header.readBigUInt64BE()));
    },
    reply(packet) {
      const body = Buffer.from(packet);
      const header = Buffer.alloc(8);
      header.writeBigUInt64BE(BigInt(body.length));
      socket.write(Buffer.concat([header, body]));
    },
    raw(bytes) {
      socket.write(bytes);
    },
  };
}
