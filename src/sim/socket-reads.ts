// Reads of an accepted TCP connection into one buffer of the simulator's own. A server socket in
// Node reads each chunk into a fresh 64 KiB buffer; at 16 handsets × 40 MB/s that was 10,000
// buffers a second for V8 to collect, the largest part of the simulator's CPU in the provisioning
// benchmark (loopback, 2 GB: 1.98 s of CPU against 0.70 s into a reused buffer, measured here).
// Node offers reads into a reused buffer (`onread`) only to sockets it constructs, so the accepted
// connection's handle is moved to such a socket. Where a Node version lacks the handle this relies
// on, the connection is read the usual way.
import { Socket } from 'node:net';

const READ_BUFFER_SIZE = 256 * 1024;

export interface SocketReads {
  /** The connection: write, end and listen for 'close' here (the accepted socket is spent). */
  readonly socket: Socket;
  /** The received bytes; a chunk is valid only until the next is asked for. */
  readonly chunks: AsyncIterable<Uint8Array>;
}

/** Takes over a connection accepted with `pauseOnConnect`. */
export function readsOf(accepted: Socket): SocketReads {
  const holder = accepted as unknown as { _handle?: object | null };
  const handle = holder._handle;
  if (!handle) {
    accepted.resume();
    return { socket: accepted, chunks: accepted };
  }
  holder._handle = null;
  // Without its handle the accepted socket only closes its books (the server's connection count).
  accepted.destroy();
  const chunks = new ReusedBufferChunks();
  const socket = new Socket({
    handle,
    allowHalfOpen: false,
    readable: true,
    writable: true,
    onread: { buffer: new Uint8Array(READ_BUFFER_SIZE), callback: (bytes, buffer) => chunks.arrived(buffer.subarray(0, bytes)) },
  } as ConstructorParameters<typeof Socket>[0] & { handle: object });
  socket.once('end', () => chunks.end());
  socket.once('close', () => chunks.end());
  socket.once('error', (error) => chunks.fail(error));
  chunks.attach(socket);
  return { socket, chunks };
}

/** One chunk at a time: the socket pauses after each read and resumes when the consumer asks for more. */
class ReusedBufferChunks implements AsyncIterable<Uint8Array> {
  #socket: Socket | null = null;
  #chunk: Uint8Array | null = null;
  #ended = false;
  #failure: { readonly error: unknown } | null = null;
  #waiting: (() => void) | null = null;

  attach(socket: Socket): void {
    this.#socket = socket;
  }

  /** Returns false: the buffer must not be read into again until this chunk is consumed. */
  arrived(chunk: Uint8Array): boolean {
    this.#chunk = chunk;
    this.#wake();
    return false;
  }

  end(): void {
    this.#ended = true;
    this.#wake();
  }

  fail(error: unknown): void {
    this.#failure = { error };
    this.#wake();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    for (;;) {
      while (this.#chunk === null) {
        if (this.#failure) throw this.#failure.error;
        if (this.#ended) return;
        await new Promise<void>((resolve) => (this.#waiting = resolve));
      }
      const chunk = this.#chunk;
      yield chunk;
      this.#chunk = null;
      this.#socket?.resume();
    }
  }

  #wake(): void {
    const waiting = this.#waiting;
    this.#waiting = null;
    waiting?.();
  }
}
