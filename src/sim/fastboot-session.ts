// The device side of the fastboot protocol for one link (a TCP connection or a claimed USB
// interface): commands in, response packets out, download data into the handset's buffer. The
// transport decides what is a command packet and what is download data, using `awaitingData`.
import { describeFailure } from '../shared/describe-failure.ts';
import { allVariables, variable } from './fastboot-variables.ts';
import { flashImage } from './flash-image.ts';
import type { AttachedSession, SimHandset } from './handset.ts';
import { Pacer } from './pacer.ts';
import { FASTBOOT_PACKET_LIMIT, BOOT_SLOTS, type BootSlot } from './platform.ts';
import { Refusal } from './refusal.ts';
import { responsePacket, type ResponseCode } from './response-packet.ts';

/** Where a session's responses go: one packet per USB transfer or TCP frame. */
export interface FastbootLink {
  send(packet: Uint8Array): void;
  /** Resolves when everything sent so far has reached the host (or cannot anymore). */
  flushed(): Promise<void>;
  /** The handset left the bus: end the connection now. */
  drop(): void;
}

const LOCKED = 'Flashing is not allowed in Lock State';

export class FastbootSession implements AttachedSession {
  readonly #handset: SimHandset;
  readonly #link: FastbootLink;
  readonly #abort = new AbortController();
  readonly #unregister: () => void;
  #downloading = false;
  /** A stalled session swallows everything: the host hears nothing until it opens a new link. */
  #stalled = false;
  #expected = 0;
  /** While a command under a detach-after fault runs, its answer goes nowhere. */
  #muted = false;
  #linkPacer: Pacer | null = null;

  constructor(handset: SimHandset, link: FastbootLink) {
    this.#handset = handset;
    this.#link = link;
    this.#unregister = handset.addSession(this);
  }

  /** Aborted when the link ends or the handset leaves the bus. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Bytes of download data the session expects before the next command. */
  get awaitingData(): number {
    return this.#downloading ? this.#handset.download.remaining : 0;
  }

  /** One command packet from the host. Never throws: every problem becomes a FAIL. */
  async command(packet: Uint8Array): Promise<void> {
    if (this.signal.aborted) return;
    // Latin-1 maps every byte to one character, so nothing the host sends is lost or rejected in decoding.
    const command = Buffer.from(packet).toString('latin1');
    try {
      await this.#handset.commandLog.append('fastboot', command);
    } catch (error) {
      return this.#reply('FAIL', `internal error: ${describeFailure(error)}`);
    }
    if (this.signal.aborted || this.#stalled) return;
    if (packet.length > FASTBOOT_PACKET_LIMIT) return this.#reply('FAIL', `command longer than ${FASTBOOT_PACKET_LIMIT} bytes`);
    const fault = this.#handset.faults.takeCommandFault('fastboot', command);
    if (fault?.kind === 'fail') return this.#reply('FAIL', fault.message);
    if (fault?.kind === 'stall') {
      this.#stalled = true;
      return;
    }
    // A detach-after fault lets the command run to the end, then pulls the cable before any of its answer leaves.
    const detachAfter = this.#handset.faults.takeDetachAfter(command);
    this.#muted = detachAfter !== null;
    try {
      await this.#handset.exclusive(() => this.#dispatch(command));
    } catch (error) {
      this.#reply('FAIL', error instanceof Refusal ? error.message : `internal error: ${describeFailure(error)}`);
    } finally {
      this.#muted = false;
    }
    if (detachAfter) this.#handset.unplug(detachAfter.reattachAfterMs);
  }

  /** Download data, in as many pieces as the transport likes. Never throws: a problem ends the download with FAIL. */
  async data(piece: Uint8Array): Promise<void> {
    if (this.signal.aborted || this.#stalled || !this.#downloading) return;
    try {
      await this.#receive(piece);
    } catch (error) {
      this.#downloading = false;
      await this.#handset.download.clear().catch(() => undefined);
      this.#reply('FAIL', error instanceof Refusal ? error.message : `download failed: ${describeFailure(error)}`);
    }
  }

  async #receive(piece: Uint8Array): Promise<void> {
    const buffer = this.#handset.download;
    if (piece.length > buffer.remaining) throw new Refusal(`received ${piece.length - buffer.remaining} bytes more than the download announced`);
    const detach = this.#handset.faults.pendingDetach();
    const received = this.#expected - buffer.remaining;
    if (detach && received + piece.length >= detach.afterDownloadBytes) {
      await buffer.append(piece.subarray(0, Math.max(0, detach.afterDownloadBytes - received)));
      this.#handset.faults.consumeDetach(detach);
      this.#handset.unplug(detach.reattachAfterMs);
      return;
    }
    await buffer.append(piece);
    await this.#linkPacer?.account(piece.length);
    if (buffer.remaining === 0 && !this.signal.aborted) {
      this.#downloading = false;
      this.#reply('OKAY');
    }
  }

  /** The handset left the bus. */
  detach(): void {
    this.#end();
    this.#link.drop();
  }

  /** The host closed the link. */
  close(): void {
    this.#end();
  }

  #end(): void {
    this.#abort.abort();
    this.#unregister();
    if (this.#downloading) {
      this.#downloading = false;
      this.#handset.forgetDownload();
    }
  }

  async #dispatch(command: string): Promise<void> {
    const colon = command.indexOf(':');
    const argument = command.slice(colon + 1);
    switch (colon < 0 ? null : command.slice(0, colon)) {
      case 'getvar':
        return this.#getvar(argument);
      case 'download':
        return this.#download(argument);
      case 'flash':
        return this.#flash(argument);
      case 'erase':
        return this.#erase(argument);
      case 'set_active':
        return this.#setActive(argument);
    }
    const split = words(command);
    const [verb] = split;
    if (split.length === 1 && (verb === 'reboot' || verb === 'continue')) return this.#reboot('system');
    if (split.length === 1 && verb === 'reboot-bootloader') return this.#reboot('bootloader');
    await this.#handset.model.vendorCommand(this.#handset, split, (text) => this.#reply('INFO', text));
    this.#reply('OKAY');
  }

  #getvar(name: string): void {
    const source = this.#handset.variables();
    if (name === 'all') {
      for (const [key, value] of allVariables(source)) this.#reply('INFO', `${key}:${value}`);
      return this.#reply('OKAY');
    }
    const value = variable(source, name);
    if (value === null) throw new Refusal('unknown variable');
    this.#reply('OKAY', value);
  }

  async #download(sizeText: string): Promise<void> {
    if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) throw new Refusal('download size must be 1 to 8 hex digits');
    const size = Number.parseInt(sizeText, 16);
    const buffer = this.#handset.download;
    if (size === 0) throw new Refusal('download size is zero');
    if (size > buffer.capacity) throw new Refusal(`data too large: 0x${size.toString(16)} > max-download-size 0x${buffer.capacity.toString(16)}`);
    await buffer.begin(size);
    this.#expected = size;
    this.#downloading = true;
    this.#linkPacer = new Pacer(this.#handset.faults.linkBytesPerSecond(this.#handset.timing.linkBytesPerSecond), this.signal);
    this.#reply('DATA', size.toString(16).padStart(8, '0'));
  }

  async #flash(name: string): Promise<void> {
    const partition = this.#writablePartition(name);
    const writer = await this.#handset.partitions.openWriter(partition.name);
    try {
      await flashImage(this.#handset.download, partition, writer, new Pacer(this.#handset.timing.flashBytesPerSecond, this.signal));
    } finally {
      await writer.close();
    }
    this.#reply('OKAY');
  }

  async #erase(name: string): Promise<void> {
    await this.#handset.partitions.erase(this.#writablePartition(name).name);
    this.#reply('OKAY');
  }

  #writablePartition(name: string) {
    if (!this.#handset.state.unlocked) throw new Refusal(LOCKED);
    const partition = this.#handset.resolvePartition(name);
    if (!partition) throw new Refusal(`partition ${name} does not exist`);
    return partition;
  }

  async #setActive(bootSlotText: string): Promise<void> {
    const bootSlot = bootSlotText.replace(/^_/, '');
    if (!(BOOT_SLOTS as readonly string[]).includes(bootSlot)) throw new Refusal(`invalid slot '${bootSlotText}'`);
    await this.#handset.state.setCurrentBootSlot(bootSlot as BootSlot);
    this.#reply('OKAY');
  }

  async #reboot(into: 'bootloader' | 'system'): Promise<void> {
    this.#reply('OKAY');
    await this.#link.flushed();
    this.#handset.reboot(into);
  }

  #reply(code: ResponseCode, text = ''): void {
    if (!this.signal.aborted && !this.#muted) this.#link.send(responsePacket(code, text));
  }
}

function words(command: string): string[] {
  return command.split(' ').filter((word) => word.length > 0);
}
