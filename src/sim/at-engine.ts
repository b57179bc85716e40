// The AT command interpreter of a booted handset's OS, with classic modem framing: a command ends
// with CR, the modem echoes what it receives (ATE0 turns that off, ATE1 on), and each answer is
// `\r\n<line>\r\n` lines then `\r\nOK\r\n`, `\r\nERROR\r\n` or `\r\n+CME ERROR: <n>\r\n`. Which
// commands exist and what they say is the model's business (models/); framing, the line limit,
// faults and the command log are common to every model.
import type { SimHandset } from './handset.ts';
import type { AtAnswer } from './models/index.ts';
import { runningSystem } from './running-system.ts';

/** A command line longer than this is discarded and answered ERROR, as a modem's line buffer overflows. */
export const AT_LINE_LIMIT = 64 * 1024;
const CR = 0x0d;

/**
 * What an at-noise fault sends: unsolicited result codes in their own framing, and raw noise
 * (control bytes, bytes that are not UTF-8) with none, so a host must cope with both.
 */
const NOISE: readonly Uint8Array[] = [
  Buffer.from('\r\nRING\r\n'),
  Uint8Array.of(0x00, 0x07, 0x1b, 0x7f, 0x1a),
  Buffer.from('\r\n+CREG: 1\r\n'),
  Uint8Array.of(0xff, 0xfe, 0xc3, 0x28, 0x80),
  Buffer.from('\r\n^SYSSTART\r\n'),
];

export class AtEngine {
  readonly #handset: SimHandset;
  readonly #send: (bytes: Uint8Array) => void;
  #echo = true;
  /** A stalled OS swallows everything until the handset leaves the bus. */
  #stalled = false;
  #stopped = false;
  readonly #held: Uint8Array[] = [];
  #heldBytes = 0;
  #lineBytes = 0;
  #nextNoise = 0;
  #work: Promise<void> = Promise.resolve();

  constructor(handset: SimHandset, send: (bytes: Uint8Array) => void) {
    this.#handset = handset;
    this.#send = send;
    if (handset.faults.atNoise) this.#send(Buffer.concat(NOISE));
  }

  /** Bytes from the host, in any pieces; handled strictly in order. Never throws. */
  receive(bytes: Uint8Array): void {
    const copy = Uint8Array.from(bytes);
    this.#work = this.#work.then(() => this.#process(copy)).catch(() => undefined);
  }

  /** The handset left the bus: nothing more is answered. */
  stop(): void {
    this.#stopped = true;
  }

  async #process(bytes: Uint8Array): Promise<void> {
    let start = 0;
    for (let end = bytes.indexOf(CR); end >= 0 && !this.#stopped; end = bytes.indexOf(CR, start)) {
      this.#take(bytes.subarray(start, end + 1));
      start = end + 1;
      await this.#execute();
    }
    if (!this.#stopped) this.#take(bytes.subarray(start));
  }

  /** Echoes a piece of input and keeps it for the line (up to the limit; the rest is only counted). */
  #take(piece: Uint8Array): void {
    if (piece.length === 0) return;
    if (this.#echo && !this.#stalled) this.#send(piece);
    const content = piece[piece.length - 1] === CR ? piece.subarray(0, -1) : piece;
    const kept = content.subarray(0, AT_LINE_LIMIT - this.#heldBytes);
    if (kept.length > 0) this.#held.push(kept);
    this.#heldBytes += kept.length;
    this.#lineBytes += content.length;
  }

  async #execute(): Promise<void> {
    const received = this.#lineBytes;
    // Latin-1 keeps every byte as one character, so nothing the host sends is lost in decoding.
    // A line feed after the previous CR (hosts often send CR LF) is not part of the command.
    const line = Buffer.concat(this.#held).toString('latin1').replace(/^\n+/, '');
    this.#held.length = 0;
    this.#heldBytes = 0;
    this.#lineBytes = 0;
    if (line.length === 0 && received <= AT_LINE_LIMIT) return;
    await this.#handset.commandLog.append('at', line, received > AT_LINE_LIMIT ? received : line.length);
    if (this.#stalled || this.#stopped) return;
    if (received > AT_LINE_LIMIT) return this.#answer({ lines: [], final: 'ERROR' });
    const fault = this.#handset.faults.takeCommandFault('at', line);
    if (fault?.kind === 'stall') {
      this.#stalled = true;
      return;
    }
    if (fault?.kind === 'fail') return this.#answer({ lines: [], final: fault.message });
    this.#answer(await this.#interpret(line).catch((): AtAnswer => ({ lines: [], final: 'ERROR' })));
  }

  async #interpret(line: string): Promise<AtAnswer> {
    const command = line.toUpperCase();
    if (command === 'AT') return { lines: [], final: 'OK' };
    // ATE alone means ATE0, as in V.250.
    if (/^ATE[01]?$/.test(command)) {
      this.#echo = command === 'ATE1';
      return { lines: [], final: 'OK' };
    }
    const commands = this.#handset.model.atCommands;
    const handler = Object.hasOwn(commands, command) ? commands[command] : undefined;
    return handler ? handler(runningSystem(this.#handset)) : { lines: [], final: 'ERROR' };
  }

  #answer(answer: AtAnswer): void {
    if (this.#stopped) return;
    // Noise goes between answers, never inside one: the answer below is one write.
    if (this.#handset.faults.atNoise) {
      this.#send(NOISE[this.#nextNoise] as Uint8Array);
      this.#nextNoise = (this.#nextNoise + 1) % NOISE.length;
    }
    this.#send(Buffer.from([...answer.lines, answer.final].map((text) => `\r\n${text}\r\n`).join(''), 'utf8'));
  }
}
