// The station's fastboot client (AOSP system/core/fastboot/README.md), over any transport.
import { displaySafe } from '../../shared/untrusted.ts';
import { formatSeconds, MAX_DEADLINE_MS, workDeadline, type Deadline } from './deadline.ts';
import { DEFAULT_MAX_DOWNLOAD_SIZE, parseMaxDownloadSize, PROTOCOL_MAX_DOWNLOAD } from './download-limit.ts';
import {
  DeviceDisconnectedError,
  FastbootCancelledError,
  type FastbootError,
  FastbootFailError,
  FastbootProtocolError,
  FastbootTimeoutError,
  FastbootUsageError,
} from './errors.ts';
import { MAX_PACKET_SIZE, parseResponse, printable } from './response.ts';
import { TransportError, type FastbootTransport } from './transport.ts';

export interface CommandOptions {
  /** How long the device may stay silent before the next packet; defaults per command kind. */
  readonly timeoutMs?: number;
  /**
   * How long the whole exchange may take, from sending the command to its final answer (a download:
   * its data included). INFO and TEXT lines do not extend it. Defaults per command kind.
   */
  readonly deadlineMs?: number;
  /** Why the deadline is what it is, for the timeout's message: `16 MiB at the profile's minimum 1 MB/s, plus 20 s`. */
  readonly deadlineBasis?: string;
  readonly signal?: AbortSignal;
  /** Sees the overall deadline as its clock starts (when the command's turn on the connection comes), e.g. to show it. */
  readonly onDeadline?: (deadline: Deadline) => void;
  /** Sees each INFO line raw (one character per byte): escape it (`printable`) before showing it. */
  readonly onInfo?: (text: string) => void;
  /** Sees each TEXT line raw, as `onInfo`. */
  readonly onText?: (text: string) => void;
}

export interface DownloadOptions extends CommandOptions {
  readonly onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

/**
 * What the device answered, raw: one character per byte as sent, so a grammar check sees the real
 * bytes on every transport. Escape it (`printable`) wherever it is shown.
 */
export interface CommandResult {
  /** The OKAY payload, e.g. a getvar value. */
  readonly value: string;
  readonly info: readonly string[];
  readonly text: readonly string[];
}

/** One `getvar:all` line split at its name, both parts raw. */
export interface Variable {
  readonly name: string;
  readonly value: string;
}

export interface ClientOptions {
  /** Silence allowed for quick commands (getvar, download handshake, reboot). */
  readonly commandTimeoutMs?: number;
  /** Silence allowed for commands that write or hash storage (flash, erase, oem, flashing). */
  readonly slowCommandTimeoutMs?: number;
  /** Overall limit of a quick command when its caller states none; never shorter than its silence timeout. */
  readonly commandDeadlineMs?: number;
  /** Overall limit of a command that writes or hashes storage when its caller states none (it knows no sizes). */
  readonly slowCommandDeadlineMs?: number;
  /** The slowest healthy link: a download's data gets its size at this rate on top of the quick-command deadline. */
  readonly minTransferBytesPerSecond?: number;
  /** Every command's INFO lines, raw, as CommandOptions.onInfo. */
  readonly onInfo?: (text: string) => void;
  readonly onText?: (text: string) => void;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;
const DEFAULT_SLOW_COMMAND_TIMEOUT_MS = 10 * 60_000;
const DEFAULT_COMMAND_DEADLINE_MS = 60_000;
const DEFAULT_SLOW_COMMAND_DEADLINE_MS = 10 * 60_000;
/** USB 2.0 full speed manages about 1 MB/s; high speed and any usable network far more. */
const DEFAULT_MIN_TRANSFER_BYTES_PER_SECOND = 1_000_000;
/** Bytes per write during a download: one USB transfer or one TCP frame. */
const DATA_WRITE_SIZE = 1024 * 1024;
/** A device that sends more INFO/TEXT lines than this for one command is flooding, not reporting. */
const MAX_MESSAGES_PER_COMMAND = 100_000;
const SLOW_COMMANDS = /^(flash:|erase:|oem |flashing )/;

export class FastbootClient {
  readonly #transport: FastbootTransport;
  readonly #options: ClientOptions;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(transport: FastbootTransport, options: ClientOptions = {}) {
    this.#transport = transport;
    this.#options = options;
  }

  get device(): string {
    return this.#transport.name;
  }

  /** Runs one command and waits for OKAY; INFO and TEXT lines go to the callbacks and into the result. */
  command(command: string, options: CommandOptions = {}): Promise<CommandResult> {
    return this.#exchange(command, options, null, async (exchange) => resultOf(exchange, await this.#readResponse(exchange, false)));
  }

  /** The variable's value, raw (see CommandResult). */
  async getvar(name: string, options?: CommandOptions): Promise<string> {
    return (await this.command(`getvar:${name}`, options)).value;
  }

  /** `getvar:all`: the device lists its variables as INFO lines `name: value` or `name:value` (raw, as `getvar`). */
  async getvarAll(options?: CommandOptions): Promise<{ readonly variables: readonly Variable[]; readonly info: readonly string[] }> {
    const result = await this.command('getvar:all', options);
    return { variables: result.info.flatMap((line) => splitVariable(line)), info: result.info };
  }

  /** The device's download limit in bytes: clamped to a sane cap, the default if it does not say. */
  async maxDownloadSize(options?: CommandOptions): Promise<number> {
    let reported: string;
    try {
      reported = await this.getvar('max-download-size', options);
    } catch (error) {
      if (error instanceof FastbootFailError) return DEFAULT_MAX_DOWNLOAD_SIZE;
      throw error;
    }
    const parsed = parseMaxDownloadSize(reported);
    if ('problem' in parsed) {
      await this.close();
      throw new FastbootProtocolError(this.device, 'getvar:max-download-size', `the device ${parsed.problem}`);
    }
    return parsed.bytes;
  }

  /**
   * `download:%08x` then exactly `size` bytes from `data`. The device must accept exactly that
   * size; a source that yields more or fewer bytes is an error and the connection is closed. Unless
   * the caller states one, the deadline is the quick-command deadline plus `size` at the minimum
   * transfer rate.
   */
  download(data: AsyncIterable<Uint8Array> | Uint8Array, size: number, options: DownloadOptions = {}): Promise<CommandResult> {
    const command = `download:${Number.isInteger(size) && size >= 0 ? size.toString(16).padStart(8, '0') : String(size)}`;
    if (!Number.isInteger(size) || size < 1 || size > PROTOCOL_MAX_DOWNLOAD) {
      return Promise.reject(new FastbootUsageError(this.device, command, `a download must be 1 to ${PROTOCOL_MAX_DOWNLOAD} bytes`));
    }
    const rate = { bytesPerSecond: this.#options.minTransferBytesPerSecond ?? DEFAULT_MIN_TRANSFER_BYTES_PER_SECOND, source: "the link's" };
    const deadline = workDeadline(size, { ...rate, allowanceMs: this.#defaultDeadline(command, this.#silenceMs(command, options)).ms });
    return this.#exchange(command, options, deadline, async (exchange) => {
      const agreed = await this.#readResponse(exchange, true);
      if (!/^[0-9a-fA-F]{8}$/.test(agreed) || Number.parseInt(agreed, 16) !== size) {
        throw await this.#fatal(new FastbootProtocolError(this.device, command, `the device answered DATA'${printable(agreed)}' instead of DATA${command.slice(9)}`));
      }
      await this.#sendData(exchange, data instanceof Uint8Array ? [data] : data, size, options.onProgress);
      return resultOf(exchange, await this.#readResponse(exchange, false));
    });
  }

  flash(partition: string, options?: CommandOptions): Promise<CommandResult> {
    return this.command(`flash:${partition}`, options);
  }

  erase(partition: string, options?: CommandOptions): Promise<CommandResult> {
    return this.command(`erase:${partition}`, options);
  }

  /** A vendor command, e.g. `oem('sha256 system_a 0x1000')`. */
  oem(args: string, options?: CommandOptions): Promise<CommandResult> {
    return this.command(`oem ${args}`, options);
  }

  flashingLock(options?: CommandOptions): Promise<CommandResult> {
    return this.command('flashing lock', options);
  }

  flashingUnlock(options?: CommandOptions): Promise<CommandResult> {
    return this.command('flashing unlock', options);
  }

  setActive(bootSlot: string, options?: CommandOptions): Promise<CommandResult> {
    return this.command(`set_active:${bootSlot}`, options);
  }

  reboot(options?: CommandOptions): Promise<CommandResult> {
    return this.command('reboot', options);
  }

  rebootBootloader(options?: CommandOptions): Promise<CommandResult> {
    return this.command('reboot-bootloader', options);
  }

  continueBoot(options?: CommandOptions): Promise<CommandResult> {
    return this.command('continue', options);
  }

  /** Releases the transport. Later commands fail with DeviceDisconnectedError. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#transport.close();
  }

  /** One exchange at a time: fastboot has no way to tell whose response is whose. */
  #serialized<T>(run: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Sends one command and runs `body` to read its answer, all under the command's overall deadline
   * (the caller's, else `fallback`, else the default for its kind).
   */
  #exchange<T>(command: string, options: CommandOptions, fallback: Deadline | null, body: (exchange: Exchange) => Promise<T>): Promise<T> {
    return this.#serialized(async () => {
      const problem = commandProblem(command);
      // The refused command is the caller's text (a partition or oem argument as typed), shown the way every argument is.
      if (problem) throw new FastbootUsageError(this.device, displaySafe(command, MAX_PACKET_SIZE), problem);
      if (this.#closed) throw new DeviceDisconnectedError(this.device, command, 'the connection was already closed');
      if (options.signal?.aborted) throw new FastbootCancelledError(this.device, command, { cause: options.signal.reason });
      const silenceMs = this.#silenceMs(command, options);
      const deadline: Deadline =
        options.deadlineMs === undefined
          ? (fallback ?? this.#defaultDeadline(command, silenceMs))
          : { ms: Math.min(options.deadlineMs, MAX_DEADLINE_MS), basis: options.deadlineBasis ?? "the caller's limit" };
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new FastbootTimeoutError(this.device, command, deadline)), deadline.ms);
      });
      // Raced by every step of the exchange; it may also pass between steps, and then fails the next one.
      expired.catch(() => undefined);
      options.onDeadline?.(deadline);
      const exchange: Exchange = { command, options, silenceMs, expired, info: [], text: [] };
      try {
        await this.#guard(exchange, (timeoutMs) => this.#transport.send([new TextEncoder().encode(command)], timeoutMs));
        return await body(exchange);
      } finally {
        clearTimeout(timer);
      }
    });
  }

  #silenceMs(command: string, options: CommandOptions): number {
    if (options.timeoutMs !== undefined) return options.timeoutMs;
    return SLOW_COMMANDS.test(command) ? (this.#options.slowCommandTimeoutMs ?? DEFAULT_SLOW_COMMAND_TIMEOUT_MS) : (this.#options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS);
  }

  #defaultDeadline(command: string, silenceMs: number): Deadline {
    const slow = SLOW_COMMANDS.test(command);
    const ms = slow ? (this.#options.slowCommandDeadlineMs ?? DEFAULT_SLOW_COMMAND_DEADLINE_MS) : (this.#options.commandDeadlineMs ?? DEFAULT_COMMAND_DEADLINE_MS);
    // A caller that allows long silences expects the command to take at least that long.
    if (silenceMs > ms) return { ms: Math.min(silenceMs, MAX_DEADLINE_MS), basis: 'its silence timeout' };
    return { ms, basis: slow ? `the limit of ${formatSeconds(ms)} for a storage command whose size the caller did not state` : `the limit of ${formatSeconds(ms)} for a quick command` };
  }

  /** Reads packets until OKAY (or DATA when allowed) and returns its payload, raw. */
  async #readResponse(exchange: Exchange, dataAllowed: boolean): Promise<string> {
    const { command, options } = exchange;
    for (;;) {
      const packet = await this.#guard(exchange, (timeoutMs) => this.#transport.receive(timeoutMs));
      const response = parseResponse(packet);
      if ('problem' in response) throw await this.#fatal(new FastbootProtocolError(this.device, command, `the device ${response.problem}`));
      switch (response.code) {
        case 'OKAY':
          if (dataAllowed) throw await this.#fatal(new FastbootProtocolError(this.device, command, 'the device answered OKAY where DATA was due'));
          return response.text;
        case 'DATA':
          if (!dataAllowed) throw await this.#fatal(new FastbootProtocolError(this.device, command, `the device answered DATA${printable(response.text)} to a command that sends no data`));
          return response.text;
        case 'FAIL':
          throw new FastbootFailError(this.device, command, printable(response.text));
        case 'INFO':
        case 'TEXT': {
          if (exchange.info.length + exchange.text.length >= MAX_MESSAGES_PER_COMMAND) {
            throw await this.#fatal(new FastbootProtocolError(this.device, command, `the device sent more than ${MAX_MESSAGES_PER_COMMAND} INFO/TEXT lines`));
          }
          const into = response.code === 'INFO' ? exchange.info : exchange.text;
          into.push(response.text);
          const callback = response.code === 'INFO' ? (options.onInfo ?? this.#options.onInfo) : (options.onText ?? this.#options.onText);
          callback?.(response.text);
        }
      }
    }
  }

  async #sendData(exchange: Exchange, data: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, size: number, onProgress?: DownloadOptions['onProgress']): Promise<void> {
    const { command } = exchange;
    let sent = 0;
    let batch: Uint8Array[] = [];
    let batched = 0;
    const flush = async (): Promise<void> => {
      await this.#guard(exchange, (timeoutMs) => this.#transport.send(batch, timeoutMs));
      sent += batched;
      batch = [];
      batched = 0;
      onProgress?.(sent, size);
    };
    try {
      for await (const chunk of data) {
        if (sent + batched + chunk.length > size) throw new FastbootUsageError(this.device, command, `the data source yields more than the ${size} bytes announced`);
        for (let at = 0; at < chunk.length; ) {
          const piece = chunk.subarray(at, at + DATA_WRITE_SIZE - batched);
          batch.push(piece);
          batched += piece.length;
          at += piece.length;
          if (batched === DATA_WRITE_SIZE) await flush();
        }
      }
      if (batched > 0) await flush();
      if (sent !== size) throw new FastbootUsageError(this.device, command, `the data source ended after ${sent} of the ${size} bytes announced`);
    } catch (error) {
      // The device is waiting for the rest of the data: the exchange cannot be resumed.
      throw await this.#fatal(error);
    }
  }

  /** Runs one transport step under the silence timeout, the exchange's deadline and the caller's AbortSignal. */
  async #guard<T>(exchange: Exchange, step: (timeoutMs: number) => Promise<T>): Promise<T> {
    const { command, options, silenceMs } = exchange;
    if (options.signal?.aborted) throw await this.#fatal(new FastbootCancelledError(this.device, command, { cause: options.signal.reason }));
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const stop = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new FastbootTimeoutError(this.device, command, silenceMs)), silenceMs);
      onAbort = () => reject(new FastbootCancelledError(this.device, command, { cause: options.signal?.reason }));
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
    const running = step(silenceMs);
    // Once the race is lost the step's own failure (on close) is expected and must not surface.
    running.catch(() => undefined);
    try {
      return await Promise.race([running, stop, exchange.expired]);
    } catch (error) {
      throw await this.#fatal(error instanceof TransportError ? this.#fromTransport(error, command, silenceMs) : error);
    } finally {
      clearTimeout(timer);
      if (onAbort) options.signal?.removeEventListener('abort', onAbort);
    }
  }

  #fromTransport(error: TransportError, command: string, timeoutMs: number): FastbootError {
    switch (error.failure) {
      case 'disconnected':
        return new DeviceDisconnectedError(this.device, command, error.message, { cause: error });
      case 'timeout':
        return new FastbootTimeoutError(this.device, command, timeoutMs);
      case 'cancelled':
        return new FastbootCancelledError(this.device, command, { cause: error });
      case 'protocol':
        return new FastbootProtocolError(this.device, command, `the device ${error.message}`);
    }
  }

  /** After a broken exchange the protocol state is unknown: release the device, keep the first error. */
  async #fatal(error: unknown): Promise<unknown> {
    this.#closed = true;
    await this.#transport.close().catch(() => undefined);
    return error;
  }
}

/** One command in flight: its limits and the INFO and TEXT lines it has drawn so far. */
interface Exchange {
  readonly command: string;
  readonly options: CommandOptions;
  readonly silenceMs: number;
  /** Rejects with the deadline's FastbootTimeoutError once the command's overall limit passes. */
  readonly expired: Promise<never>;
  readonly info: string[];
  readonly text: string[];
}

function resultOf(exchange: Exchange, value: string): CommandResult {
  return { value, info: exchange.info, text: exchange.text };
}

function commandProblem(command: string): string | null {
  if (command.length === 0) return 'the command is empty';
  if (!/^[\x20-\x7e]*$/.test(command)) return 'the command contains bytes outside printable ASCII';
  if (command.length > MAX_PACKET_SIZE) return `the command is ${command.length} bytes; fastboot commands are at most ${MAX_PACKET_SIZE}`;
  return null;
}

/** Variables that take an argument (`partition-size:system_a`): their name holds one colon. */
const ARGUMENT_VARIABLES = /^(has-slot|partition-size|partition-type|is-logical|slot-successful|slot-unbootable|slot-retry-count):[^:]*/;

/**
 * `product:lockstep-ref` (AOSP) or `partition-size:system_a: 0x80000000` (LK): the name ends at
 * its first colon (its second for a variable with an argument), so a value may hold colons.
 */
function splitVariable(line: string): Variable[] {
  const nameEnd = ARGUMENT_VARIABLES.exec(line)?.[0].length ?? line.indexOf(':');
  if (nameEnd <= 0 || line[nameEnd] !== ':') return [];
  const value = line.slice(nameEnd + 1);
  return [{ name: line.slice(0, nameEnd), value: value.startsWith(' ') ? value.slice(1) : value }];
}
