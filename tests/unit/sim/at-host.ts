// A raw AT terminal over any byte stream (the in-process port or a real tty), written from modem
// framing rather than with the station's AtClient, so tests see the exact bytes the handset sends:
// echo, CR LF framing, noise.
import type { Duplex } from 'node:stream';
import type { SimHandset } from '../../../src/sim/index.ts';
import { UsbHost } from './usb-host.ts';

const FINAL = /\r\n(OK|ERROR|\+CME ERROR: \d+)\r\n/;

export class AtTerminal {
  readonly stream: Duplex;
  #received = Buffer.alloc(0);
  #ended = false;
  readonly #waiters = new Set<() => void>();

  constructor(stream: Duplex) {
    this.stream = stream;
    stream.on('data', (chunk: Buffer) => {
      this.#received = Buffer.concat([this.#received, chunk]);
      this.#wake();
    });
    stream.on('end', () => {
      this.#ended = true;
      this.#wake();
    });
    stream.on('error', () => undefined);
  }

  /** Everything received so far. */
  get received(): Buffer {
    return this.#received;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Forgets what was received so far. */
  clear(): void {
    this.#received = Buffer.alloc(0);
  }

  write(data: string | Uint8Array): void {
    this.stream.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Sends `<command>\r` and returns the raw text received up to the final result code. */
  async command(command: string, timeoutMs = 5000): Promise<string> {
    this.clear();
    this.write(`${command}\r`);
    await this.until(() => FINAL.test(this.text()), timeoutMs, `a final result code for ${command}`);
    return this.text();
  }

  /** What was received, one character per byte. */
  text(): string {
    return this.#received.toString('latin1');
  }

  /** Waits until `done()` holds; fails the test after `timeoutMs` saying what it waited for. */
  until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`no ${what} within ${timeoutMs} ms; received ${JSON.stringify(this.text())}`));
      }, timeoutMs);
      const check = (): void => {
        if (!done()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      this.#waiters.add(check);
    });
  }

  #wake(): void {
    for (const check of [...this.#waiters]) check();
  }
}

/** The framed answer to one command: `\r\n<line>\r\n` per line. */
export function framed(...lines: string[]): string {
  return lines.map((line) => `\r\n${line}\r\n`).join('');
}

/** Resolves when the handset's mode becomes `mode` (now or later). */
export function modeReached(handset: SimHandset, mode: SimHandset['mode']): Promise<void> {
  if (handset.mode === mode) return Promise.resolve();
  return new Promise((resolve) => {
    const stop = handset.onModeChange((current) => {
      if (current !== mode) return;
      stop();
      resolve();
    });
  });
}

/** Runs `prepare` over fastboot (USB), then `reboot`, and waits until the OS is up with its AT port. */
export async function bootIntoSystem(handset: SimHandset, prepare: (host: UsbHost) => Promise<void> = async () => undefined): Promise<void> {
  const host = await UsbHost.connect(handset.usbDevice);
  await prepare(host);
  const booted = modeReached(handset, 'booted');
  const reply = await host.command('reboot');
  if (reply.code !== 'OKAY') throw new Error(`reboot: ${reply.code} ${reply.text}`);
  await booted;
}
