// A Hayes AT command client over any byte stream (a real serial port through `serialport`, or the
// simulator's in-process port). One command at a time: write `<command>\r`, collect the lines that
// follow until a final result code. The port is hostile: it may echo, interleave unsolicited lines
// (RING, +CREG) and noise, or never answer, so every line is bounded and every wait has a timeout.
import type { Duplex } from 'node:stream';
import { displaySafe } from '../../shared/untrusted.ts';
import { AtError } from './errors.ts';

/** A line longer than this is not an answer; the port is flooding. */
const MAX_LINE_BYTES = 4096;
/** A command whose answer runs past this many lines is flooding too. */
const MAX_LINES = 256;
const FINAL_OK = /^OK$/;
const FINAL_ERROR = /^(ERROR|\+CME ERROR: ?.*|\+CMS ERROR: ?.*|NO CARRIER)$/;

/** An open AT port: its byte stream, and how to release it (a serial port must be closed, not just destroyed, to drop its lock). */
export interface AtLink {
  readonly stream: Duplex;
  close(): Promise<void>;
}

/** The link of an in-process stream, which closing simply ends. */
export function streamLink(stream: Duplex): AtLink {
  return { stream, close: async () => void stream.destroy() };
}

export interface AtAnswer {
  /** Every line after the command up to the final result code, echo removed, final line included last. */
  readonly lines: readonly string[];
  readonly final: 'ok' | 'error';
}

export interface AtCommandOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

interface Pending {
  readonly command: string;
  readonly lines: string[];
  readonly resolve: (answer: AtAnswer) => void;
  readonly reject: (error: Error) => void;
}

export class AtClient {
  /** How the port is named in errors, e.g. `/dev/ttyACM0` or `sim:LSIM0001-…`. */
  readonly name: string;
  readonly #link: AtLink;
  readonly #stream: Duplex;
  #partial: Buffer = Buffer.alloc(0);
  #discarding = false;
  #pending: Pending | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  #ended: Error | null = null;

  constructor(link: AtLink, name: string) {
    this.#link = link;
    const stream = link.stream;
    this.#stream = stream;
    this.name = name;
    stream.on('data', (chunk: Buffer) => this.#receive(chunk));
    const end = (why: string) => () =>
      this.#end(new AtError('AT_DISCONNECTED', `${this.name}: the AT port went away (${why}). Check the cable; the handset may have rebooted.`, { params: { port: this.name } }));
    stream.on('end', end('end of stream'));
    stream.on('close', end('closed'));
    // A stream ended with an AtError (the station cut a port another one contradicts) keeps its code.
    stream.on('error', (error: Error) => (error instanceof AtError ? this.#end(error) : end(displaySafe(error.message, 120))()));
  }

  /** Runs one command and resolves with its answer, whether OK or an error result code. */
  command(command: string, options: AtCommandOptions): Promise<AtAnswer> {
    const run = this.#queue.then(() => this.#run(command, options));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    this.#end(new AtError('AT_DISCONNECTED', `${this.name}: the AT port was closed by the station.`, { detail: 'AT_PORT_CLOSED', params: { port: this.name } }));
    await this.#link.close();
  }

  #run(command: string, options: AtCommandOptions): Promise<AtAnswer> {
    if (!/^AT[\x20-\x7e]{0,126}$/.test(command)) return Promise.reject(new Error(`'${displaySafe(command, 40)}' is not an AT command`));
    if (this.#ended) return Promise.reject(this.#ended);
    options.signal?.throwIfAborted();
    return new Promise<AtAnswer>((resolve, reject) => {
      const silent = (): AtError => {
        const params = { port: this.name, command: displaySafe(command, 120), seconds: String(options.timeoutMs / 1000) };
        return new AtError('AT_TIMEOUT', `${this.name} '${command}': no final result code within ${params.seconds} s. Power-cycle the handset and retry.`, { params });
      };
      const timer = setTimeout(() => finish(silent()), options.timeoutMs);
      const onAbort = (): void => finish(options.signal?.reason instanceof Error ? options.signal.reason : new Error('cancelled'));
      const finish = (error: Error | null, answer?: AtAnswer): void => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        this.#pending = null;
        if (error) reject(error);
        else resolve(answer as AtAnswer);
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      // Lines that arrived before the command (a boot banner, unsolicited codes) answer nothing.
      this.#partial = Buffer.alloc(0);
      this.#pending = { command, lines: [], resolve: (answer) => finish(null, answer), reject: (error) => finish(error) };
      this.#stream.write(`${command}\r`);
    });
  }

  #receive(chunk: Buffer): void {
    let data = this.#partial.length > 0 ? Buffer.concat([this.#partial, chunk]) : chunk;
    for (;;) {
      const end = data.findIndex((byte) => byte === 0x0d || byte === 0x0a);
      if (end < 0) break;
      const line = data.subarray(0, end);
      data = data.subarray(end + 1);
      if (this.#discarding) this.#discarding = false;
      else this.#line(line);
    }
    if (data.length > MAX_LINE_BYTES) {
      // Drop the over-long line up to its end; it cannot be an answer.
      this.#discarding = true;
      const params = { port: this.name, bytes: String(MAX_LINE_BYTES) };
      this.#fail(new AtError('AT_LINE_TOO_LONG', `${this.name}: the handset sent a line longer than ${MAX_LINE_BYTES} bytes; its AT port is misbehaving.`, { params }));
      data = Buffer.alloc(0);
    }
    this.#partial = Buffer.from(data);
  }

  #line(bytes: Buffer): void {
    const pending = this.#pending;
    if (!pending || bytes.length === 0) return;
    // Noise bytes are kept as replacement characters: they can never match an answer pattern.
    const line = bytes.toString('utf8').trim();
    if (line === '' || line === pending.command) return;
    if (FINAL_OK.test(line) || FINAL_ERROR.test(line)) {
      pending.lines.push(line);
      pending.resolve({ lines: pending.lines, final: FINAL_OK.test(line) ? 'ok' : 'error' });
      return;
    }
    pending.lines.push(line);
    if (pending.lines.length > MAX_LINES) {
      const params = { port: this.name, command: displaySafe(pending.command, 120), lines: String(MAX_LINES) };
      this.#fail(new AtError('AT_LINE_TOO_LONG', `${this.name} '${pending.command}': more than ${MAX_LINES} lines without a result code.`, { detail: 'AT_TOO_MANY_LINES', params }));
    }
  }

  #fail(error: Error): void {
    this.#pending?.reject(error);
  }

  #end(error: Error): void {
    this.#ended ??= error;
    this.#pending?.reject(error);
  }
}
