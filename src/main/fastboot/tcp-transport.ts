// Fastboot over TCP (AOSP system/core/fastboot/tcp.cpp): the host sends `FB01`, the device answers
// `FBxx` with its protocol version, then every packet travels as an 8-byte big-endian length and
// that many bytes.
import { connect, type Socket } from 'node:net';
import { FastbootCancelledError, FastbootConnectError, FastbootProtocolError, FastbootTimeoutError } from './errors.ts';
import { printable } from './response.ts';
import { describeFailure } from '../../shared/describe-failure.ts';
import { TransportError, type FastbootTransport } from './transport.ts';

const HOST_VERSION = 1;
const FRAME_HEADER_SIZE = 8;
/** Responses are 64 bytes; a longer frame is read only so it can be reported, never buffered past this. */
const MAX_RESPONSE_FRAME = 64 * 1024;
/** Stop reading from the socket once this much is unconsumed, so a flooding device cannot fill memory. */
const READ_HIGH_WATER = 1024 * 1024;

export interface TcpConnectOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** Connects and performs the FB01 handshake; throws a typed error naming `tcp:host:port`. */
export async function connectTcp(host: string, port: number, options: TcpConnectOptions = {}): Promise<FastbootTransport> {
  const name = `tcp:${host}:${port}`;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  // Not passed to connect(): a socket's signal would keep governing it after the handshake.
  const socket = connect({ host, port, noDelay: true });
  const stream = new FrameSocket(socket);
  try {
    await raceSignal(
      new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      }),
      signal,
    );
    socket.write('FB01');
    const reply = await raceSignal(stream.readExact(4), signal);
    if (reply[0] !== 0x46 || reply[1] !== 0x42) throw new FastbootProtocolError(name, null, `answered the FB01 handshake with '${printable(reply)}', not FBnn: it does not speak fastboot over TCP`);
    const digits = String.fromCharCode(reply[2] ?? 0, reply[3] ?? 0);
    // Two ASCII digits exactly: Number() alone would also take ' 1', '+1' or '1.'.
    if (!/^[0-9]{2}$/.test(digits) || Number(digits) < HOST_VERSION) throw new FastbootProtocolError(name, null, `offers TCP protocol version '${printable(reply.subarray(2))}'; this station needs ${HOST_VERSION} or newer`);
  } catch (error) {
    socket.destroy();
    if (error instanceof FastbootProtocolError) throw error;
    if (error instanceof TransportError && error.failure === 'timeout') throw new FastbootTimeoutError(name, null, timeoutMs);
    if (error instanceof TransportError && error.failure === 'cancelled') throw new FastbootCancelledError(name, null, { cause: options.signal?.reason });
    throw new FastbootConnectError(name, `could not connect (${describeFailure(error)}); check that the device or simulator is listening there`, { cause: error });
  }
  return new TcpTransport(name, stream, socket);
}

class TcpTransport implements FastbootTransport {
  readonly name: string;
  readonly #stream: FrameSocket;
  readonly #socket: Socket;

  constructor(name: string, stream: FrameSocket, socket: Socket) {
    this.name = name;
    this.#stream = stream;
    this.#socket = socket;
  }

  async send(parts: readonly Uint8Array[]): Promise<void> {
    const header = Buffer.alloc(FRAME_HEADER_SIZE);
    header.writeBigUInt64BE(BigInt(parts.reduce((sum, part) => sum + part.length, 0)));
    this.#stream.failIfClosed();
    // Resolves once the socket has handed the bytes to the kernel, so the caller may reuse its buffers.
    const written = new Promise<void>((resolve, reject) => {
      this.#socket.cork();
      this.#socket.write(header);
      parts.forEach((part, index) => this.#socket.write(part, index === parts.length - 1 ? (error) => (error ? reject(error) : resolve()) : undefined));
      this.#socket.uncork();
    });
    await this.#stream.settled(written);
  }

  async receive(): Promise<Uint8Array> {
    const length = Buffer.from(await this.#stream.readExact(FRAME_HEADER_SIZE)).readBigUInt64BE();
    if (length > BigInt(MAX_RESPONSE_FRAME)) throw new TransportError('protocol', `announced a ${length}-byte response frame (responses are at most 64 bytes)`);
    return this.#stream.readExact(Number(length));
  }

  async close(): Promise<void> {
    this.#stream.closeByStation();
  }
}

/** Exact-length reads over a socket, with backpressure and a typed error once the socket is gone. */
class FrameSocket {
  readonly #socket: Socket;
  #buffered: Buffer[] = [];
  #length = 0;
  #failure: TransportError | null = null;
  #waiters: (() => void)[] = [];

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (data: Buffer) => {
      this.#buffered.push(data);
      this.#length += data.length;
      if (this.#length > READ_HIGH_WATER) socket.pause();
      this.#notify();
    });
    socket.on('error', (error) => this.#fail(new TransportError('disconnected', `connection error: ${describeFailure(error)}`, { cause: error })));
    socket.on('close', () => this.#fail(new TransportError('disconnected', 'the connection was closed by the device')));
  }

  failIfClosed(): void {
    if (this.#failure) throw this.#failure;
  }

  async readExact(length: number): Promise<Uint8Array> {
    while (this.#length < length) {
      this.failIfClosed();
      await this.#changed();
    }
    const joined = this.#buffered.length === 1 ? (this.#buffered[0] as Buffer) : Buffer.concat(this.#buffered, this.#length);
    this.#buffered = joined.length > length ? [joined.subarray(length)] : [];
    this.#length -= length;
    if (this.#length <= READ_HIGH_WATER && this.#socket.isPaused()) this.#socket.resume();
    return joined.subarray(0, length);
  }

  /** Waits for a write, failing with the socket's error if the connection goes first. */
  async settled(write: Promise<void>): Promise<void> {
    let done = false;
    let failed = false;
    const finished = write.then(
      () => void (done = true),
      (error: unknown) => {
        done = failed = true;
        this.#fail(new TransportError('disconnected', `write failed: ${describeFailure(error)}`, { cause: error }));
      },
    );
    while (!done) {
      this.failIfClosed();
      await Promise.race([finished, this.#changed()]);
    }
    if (failed) this.failIfClosed();
  }

  closeByStation(): void {
    this.#fail(new TransportError('disconnected', 'the station closed the connection'));
    this.#socket.destroy();
  }

  #fail(failure: TransportError): void {
    this.#failure ??= failure;
    this.#notify();
  }

  #notify(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Resolves at the next data, failure or close. */
  #changed(): Promise<void> {
    return new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
}

function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new TransportError(signal.reason instanceof DOMException && signal.reason.name === 'TimeoutError' ? 'timeout' : 'cancelled', 'no answer'));
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
