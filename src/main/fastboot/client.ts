// The station's fastboot client (AOSP system/core/fastboot/README.md), over any transport.
import { displaySafe } from '../../shared/untrusted.ts';
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
import { MAX_PACKET_SIZE, parseResponse } from './response.ts';
import { TransportError, type FastbootTransport } from './transport.ts';

export interface CommandOptions {
  /** How long the device may stay silent before the next packet; defaults per command kind. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly onInfo?: (text: string) => void;
  readonly onText?: (text: string) => void;
}

export interface DownloadOptions extends CommandOptions {
  readonly onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

export interface CommandResult {
  /** The OKAY payload, e.g. a getvar value. */
  readonly value: string;
  readonly info: readonly string[];
  readonly text: readonly string[];
}

export interface Variable {
  readonly name: string;
  readonly value: string;
}

export interface ClientOptions {
  /** Silence allowed for quick commands (getvar, download handshake, reboot). */
  readonly commandTimeoutMs?: number;
  /** Silence allowed for commands that write or hash storage (flash, erase, oem, flashing). */
  readonly slowCommandTimeoutMs?: number;
  readonly onInfo?: (text: string) => void;
  readonly onText?: (text: string) => void;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;
const DEFAULT_SLOW_COMMAND_TIMEOUT_MS = 10 * 60_000;
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
    return this.#serialized(async () => {
      const messages = await this.#start(command, options);
      return this.#finish(command, options, messages, false);
    });
  }

  async getvar(name: string, options?: CommandOptions): Promise<string> {
    return (await this.command(`getvar:${name}`, options)).value;
  }

  /** `getvar:all`: the device lists its variables as INFO lines `name: value` or `name:value`. */
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
   * size; a source that yields more or fewer bytes is an error and the connection is closed.
   */
  download(data: AsyncIterable<Uint8Array> | Uint8Array, size: number, options: DownloadOptions = {}): Promise<CommandResult> {
    const command = `download:${Number.isInteger(size) && size >= 0 ? size.toString(16).padStart(8, '0') : String(size)}`;
    return this.#serialized(async () => {
      if (!Number.isInteger(size) || size < 1 || size > PROTOCOL_MAX_DOWNLOAD) {
        throw new FastbootUsageError(this.device, command, `a download must be 1 to ${PROTOCOL_MAX_DOWNLOAD} bytes`);
      }
      const messages = await this.#start(command, options);
      const agreed = await this.#readResponse(command, options, messages, true);
      if (!/^[0-9a-fA-F]{8}$/.test(agreed) || Number.parseInt(agreed, 16) !== size) {
        throw await this.#fatal(new FastbootProtocolError(this.device, command, `the device answered DATA'${agreed}' instead of DATA${command.slice(9)}`));
      }
      await this.#sendData(command, data instanceof Uint8Array ? [data] : data, size, options);
      return this.#finish(command, options, messages, false);
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

  setActive(slot: string, options?: CommandOptions): Promise<CommandResult> {
    return this.command(`set_active:${slot}`, options);
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

  async #start(command: string, options: CommandOptions): Promise<Messages> {
    const problem = commandProblem(command);
    // The refused command is the caller's text (a partition or oem argument as typed), shown the way every argument is.
    if (problem) throw new FastbootUsageError(this.device, displaySafe(command, MAX_PACKET_SIZE), problem);
    if (this.#closed) throw new DeviceDisconnectedError(this.device, command, 'the connection was already closed');
    if (options.signal?.aborted) throw new FastbootCancelledError(this.device, command, { cause: options.signal.reason });
    await this.#guard(command, options, (timeoutMs) => this.#transport.send([new TextEncoder().encode(command)], timeoutMs));
    return { info: [], text: [] };
  }

  async #finish(command: string, options: CommandOptions, messages: Messages, dataAllowed: boolean): Promise<CommandResult> {
    const value = await this.#readResponse(command, options, messages, dataAllowed);
    return { value, info: messages.info, text: messages.text };
  }

  /** Reads packets until OKAY (or DATA when allowed) and returns its payload. */
  async #readResponse(command: string, options: CommandOptions, messages: Messages, dataAllowed: boolean): Promise<string> {
    for (;;) {
      const packet = await this.#guard(command, options, (timeoutMs) => this.#transport.receive(timeoutMs));
      const response = parseResponse(packet);
      if ('problem' in response) throw await this.#fatal(new FastbootProtocolError(this.device, command, `the device ${response.problem}`));
      switch (response.code) {
        case 'OKAY':
          if (dataAllowed) throw await this.#fatal(new FastbootProtocolError(this.device, command, 'the device answered OKAY where DATA was due'));
          return response.text;
        case 'DATA':
          if (!dataAllowed) throw await this.#fatal(new FastbootProtocolError(this.device, command, `the device answered DATA${response.text} to a command that sends no data`));
          return response.text;
        case 'FAIL':
          throw new FastbootFailError(this.device, command, response.text);
        case 'INFO':
        case 'TEXT': {
          if (messages.info.length + messages.text.length >= MAX_MESSAGES_PER_COMMAND) {
            throw await this.#fatal(new FastbootProtocolError(this.device, command, `the device sent more than ${MAX_MESSAGES_PER_COMMAND} INFO/TEXT lines`));
          }
          const into = response.code === 'INFO' ? messages.info : messages.text;
          into.push(response.text);
          const callback = response.code === 'INFO' ? (options.onInfo ?? this.#options.onInfo) : (options.onText ?? this.#options.onText);
          callback?.(response.text);
        }
      }
    }
  }

  async #sendData(command: string, data: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, size: number, options: DownloadOptions): Promise<void> {
    let sent = 0;
    let batch: Uint8Array[] = [];
    let batched = 0;
    const flush = async (): Promise<void> => {
      await this.#guard(command, options, (timeoutMs) => this.#transport.send(batch, timeoutMs));
      sent += batched;
      batch = [];
      batched = 0;
      options.onProgress?.(sent, size);
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

  /** Runs one transport step under the command's timeout and the caller's AbortSignal. */
  async #guard<T>(command: string, options: CommandOptions, step: (timeoutMs: number) => Promise<T>): Promise<T> {
    const timeoutMs = options.timeoutMs ?? (SLOW_COMMANDS.test(command) ? (this.#options.slowCommandTimeoutMs ?? DEFAULT_SLOW_COMMAND_TIMEOUT_MS) : (this.#options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS));
    if (options.signal?.aborted) throw await this.#fatal(new FastbootCancelledError(this.device, command, { cause: options.signal.reason }));
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const stop = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new FastbootTimeoutError(this.device, command, timeoutMs)), timeoutMs);
      onAbort = () => reject(new FastbootCancelledError(this.device, command, { cause: options.signal?.reason }));
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
    const running = step(timeoutMs);
    // Once the race is lost the step's own failure (on close) is expected and must not surface.
    running.catch(() => undefined);
    try {
      return await Promise.race([running, stop]);
    } catch (error) {
      throw await this.#fatal(error instanceof TransportError ? this.#fromTransport(error, command, timeoutMs) : error);
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

interface Messages {
  readonly info: string[];
  readonly text: string[];
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
