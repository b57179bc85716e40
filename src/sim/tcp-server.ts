// Fastboot over TCP, device side (AOSP system/core/fastboot/tcp.cpp is the host side): the host
// sends `FB` and its two-digit protocol version, the device answers `FB01`, then every packet is
// an 8-byte big-endian length followed by that many bytes. AOSP's client opens one connection
// per invocation; the handset serves one at a time and queues the next, like a bootloader would.
import { createServer, type Server, type Socket } from 'node:net';
import { ByteReader } from '../lib/sparse/byte-reader.ts';
import { FastbootSession, type FastbootLink } from './fastboot-session.ts';
import type { SimHandset } from './handset.ts';
import { readsOf } from './socket-reads.ts';
import { FASTBOOT_PACKET_LIMIT } from './platform.ts';

const PROTOCOL_VERSION = 1;
const HANDSHAKE_TIMEOUT_MS = 10_000;
const FRAME_HEADER_SIZE = 8;

export interface TcpEndpoint {
  readonly port: number;
  close(): Promise<void>;
}

export async function serveTcp(handset: SimHandset, port: number, host = '127.0.0.1'): Promise<TcpEndpoint> {
  const sockets = new Set<Socket>();
  const server = createServer({ pauseOnConnect: true }, (accepted) => {
    // Off the bus (rebooting, booted, unplugged) the port answers like a closed one.
    if (!handset.attached) return accepted.resetAndDestroy();
    const { socket, chunks } = readsOf(accepted);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    void serveConnection(handset, socket, chunks);
  });
  const stopWatching = handset.onModeChange(() => {
    if (!handset.attached) for (const socket of sockets) socket.destroy();
  });
  await listen(server, port, host);
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the fastboot TCP server has no port');
  return {
    port: address.port,
    close: async () => {
      stopWatching();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`TCP port ${port} on ${host} is already in use; choose another with --tcp`) : error),
    );
    server.listen({ port, host }, () => resolve());
  });
}

async function serveConnection(handset: SimHandset, socket: Socket, chunks: AsyncIterable<Uint8Array>): Promise<void> {
  socket.setNoDelay(true);
  const closed = new AbortController();
  socket.once('close', () => closed.abort());
  let release: (() => void) | null = null;
  let session: FastbootSession | null = null;
  try {
    release = await handset.acquireLink(closed.signal);
    const reader = new ByteReader(chunks);
    if (!(await handshake(reader, socket))) return;
    const current = new FastbootSession(handset, tcpLink(socket));
    session = current;
    socket.once('close', () => current.close());
    await serveFrames(reader, current, socket);
  } catch {
    // The host went away or broke framing: the connection ends, the handset carries on.
  } finally {
    session?.close();
    release?.();
    socket.destroy();
  }
}

async function handshake(reader: ByteReader, socket: Socket): Promise<boolean> {
  const timer = setTimeout(() => socket.destroy(), HANDSHAKE_TIMEOUT_MS);
  try {
    const hello = await reader.readExact(4);
    const text = hello ? Buffer.from(hello).toString('latin1') : '';
    if (!/^FB[0-9]{2}$/.test(text) || Number(text.slice(2)) < PROTOCOL_VERSION) return false;
    socket.write(`FB${String(PROTOCOL_VERSION).padStart(2, '0')}`);
    return true;
  } finally {
    clearTimeout(timer);
  }
}

async function serveFrames(reader: ByteReader, session: FastbootSession, socket: Socket): Promise<void> {
  while (!socket.destroyed) {
    const header = await reader.readExact(FRAME_HEADER_SIZE);
    if (!header) return;
    const length = Buffer.from(header).readBigUInt64BE();
    const awaiting = session.awaitingData;
    if (awaiting > 0) {
      // Download data may come in any number of frames, but never past the announced size.
      if (length > BigInt(awaiting)) return;
      for await (const piece of reader.stream(Number(length))) await session.data(piece);
    } else if (length <= BigInt(FASTBOOT_PACKET_LIMIT)) {
      await session.command((await reader.readExact(Number(length))) ?? new Uint8Array(0));
    } else {
      if (length > BigInt(Number.MAX_SAFE_INTEGER)) return;
      // Read past an over-long command holding only what a bootloader's buffer would (one byte too
      // many, so the session refuses it), which is also what the command log shows of it.
      const head = new Uint8Array(FASTBOOT_PACKET_LIMIT + 1);
      let kept = 0;
      for await (const piece of reader.stream(Number(length))) {
        const part = piece.subarray(0, head.length - kept);
        head.set(part, kept);
        kept += part.length;
      }
      await session.command(head);
    }
  }
}

function tcpLink(socket: Socket): FastbootLink {
  return {
    send(packet) {
      if (socket.destroyed) return;
      const header = Buffer.alloc(FRAME_HEADER_SIZE);
      header.writeBigUInt64BE(BigInt(packet.length));
      socket.write(Buffer.concat([header, packet]));
    },
    flushed() {
      if (socket.destroyed) return Promise.resolve();
      return new Promise((resolve) => {
        socket.once('close', () => resolve());
        socket.write(new Uint8Array(0), () => resolve());
      });
    },
    drop() {
      socket.destroy();
    },
  };
}
