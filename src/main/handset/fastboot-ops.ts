// The pipeline's abstract fastboot operations, spoken in the dialect of one device profile: the
// profile supplies each command's text and the pattern its answer must match, this module fills
// in the values (which are always the station's own, never the device's) and reads the answer.
// Every command runs under an overall deadline the profile justifies: quick ones `timeouts.commandMs`,
// flashing and hashing their bytes at the profile's minimum rates plus an allowance. A long command's
// deadline goes to the run's wait listener as its clock starts, so the operator sees when the station gives up.
import type { ImageSource } from '../../lib/sparse/image-source.ts';
import { PARTITION_NAME, SHA256_HEX } from '../../shared/identifiers.ts';
import type { HandsetWait, WaitKind } from '../../shared/pipeline.ts';
import type { DeviceProfile } from '../../shared/profile.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import type { CommandOptions, CommandResult, FastbootClient } from '../fastboot/client.ts';
import { deviceText } from '../fastboot/response.ts';
import { formatSeconds, workDeadline, type Deadline, type WorkRate } from '../fastboot/deadline.ts';
import { flashImage, type FlashImageOptions, type FlashImageResult } from '../fastboot/flash-image.ts';
import { HandsetError } from './errors.ts';

/**
 * What the identify step reads, as the handset answered: its UTF-8 as text when valid, else raw, one
 * character per byte (deviceText), on every transport (hostile until checked against the grammars of src/shared/identifiers.ts). Its keys
 * are the profile's identity questions (docs/profiles.md), and records keep them as they are in
 * `evidence.identityBefore` (records and journals written before profile schema 2 name the serial
 * question `serial` there).
 */
export interface FastbootIdentity {
  readonly serial: string;
  readonly product: string;
  readonly hwRevision: string;
  readonly bootloaderVersion: string;
  /** The lock-state variable's raw answer, and what it means under the profile (null: neither spelling). */
  readonly lockState: string;
  readonly unlocked: boolean | null;
  readonly batteryMillivolts: string;
}

/** Sees each long command's deadline (hash, erase, flash write) as its clock starts, and null once it has ended. */
export type WaitListener = (wait: HandsetWait | null) => void;

type Values = Readonly<Record<string, string | number>>;

/** Fills `{name}` and `{name:hex}` placeholders; the profile schema has already refused unknown ones. */
export function expandTemplate(template: string, values: Values): string {
  return template.replace(/\{([a-z]+)(:hex)?\}/g, (_, name: string, hex: string | undefined) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for {${name}}`);
    return hex && typeof value === 'number' ? `0x${value.toString(16)}` : String(value);
  });
}

export class ProfiledFastboot {
  readonly #client: FastbootClient;
  readonly #profile: DeviceProfile;
  readonly #onWait: WaitListener;

  constructor(client: FastbootClient, profile: DeviceProfile, onWait: WaitListener = () => undefined) {
    this.#client = client;
    this.#profile = profile;
    this.#onWait = onWait;
  }

  get device(): string {
    return this.#client.device;
  }

  get client(): FastbootClient {
    return this.#client;
  }

  async readIdentity(signal?: AbortSignal): Promise<FastbootIdentity> {
    const names = this.#profile.identity;
    const get = async (name: string): Promise<string> => deviceText(await this.#client.getvar(name, this.#quick(signal)));
    const lockState = await get(names.lockState);
    const { serial, product } = await this.readSerialAndProduct(signal);
    const spelled = this.#profile.lockStateValues;
    return {
      serial,
      product,
      hwRevision: await get(names.hwRevision),
      bootloaderVersion: await get(names.bootloaderVersion),
      lockState,
      unlocked: lockState === spelled.unlocked ? true : lockState === spelled.locked ? false : null,
      batteryMillivolts: await get(names.batteryMillivolts),
    };
  }

  /** Serial number and product, as text (deviceText), read again right before an irreversible step. */
  async readSerialAndProduct(signal?: AbortSignal): Promise<{ serial: string; product: string }> {
    const names = this.#profile.identity;
    const serial = deviceText(await this.#client.getvar(names.serial, this.#quick(signal)));
    return { serial, product: deviceText(await this.#client.getvar(names.product, this.#quick(signal))) };
  }

  /** The flash rate of the profile, for `flashImage` and `erase`. */
  get flashRate(): WorkRate {
    return { bytesPerSecond: this.#profile.minimumRates.flashBytesPerSecond, allowanceMs: this.#profile.timeouts.commandMs, source: "the profile's" };
  }

  /** `flashImage` with each `flash:` bounded by the profile's minimum flash rate, its deadline told to the wait listener. */
  flashImage(partition: string, image: string | ImageSource, options: Omit<FlashImageOptions, 'flashRate' | 'onFlashDeadline'> = {}): Promise<FlashImageResult> {
    const onFlashDeadline = (deadline: Deadline | null): void => this.#onWait(deadline && waitFor('flash', partition, deadline));
    return flashImage(this.#client, partition, image, { ...options, flashRate: this.flashRate, onFlashDeadline });
  }

  /** Erases a partition of `bytes`, bounded as flashing them would be. */
  async erase(partition: string, bytes: number, signal?: AbortSignal): Promise<void> {
    if (!PARTITION_NAME.test(partition)) throw notPartition(partition);
    await this.#watched('erase', partition, (onDeadline) => this.#client.erase(partition, { signal, onDeadline, ...bounded(workDeadline(bytes, this.flashRate)) }));
  }

  /**
   * The SHA-256 the device computes over the first `bytes` of a partition, lower-case. The device
   * may stay silent for the whole hash, so its deadline is also its silence timeout.
   */
  async partitionHash(partition: string, bytes: number, signal?: AbortSignal): Promise<string> {
    if (!PARTITION_NAME.test(partition)) throw notPartition(partition);
    const operation = this.#profile.fastboot.partitionHash;
    const command = expandTemplate(operation.command, { partition, bytes });
    const rate = { bytesPerSecond: this.#profile.minimumRates.hashBytesPerSecond, allowanceMs: this.#profile.timeouts.hashMs, source: "the profile's" };
    const deadline = workDeadline(bytes, rate);
    const result = await this.#watched('hash', partition, (onDeadline) => this.#client.command(command, { signal, onDeadline, timeoutMs: deadline.ms, ...bounded(deadline) }));
    const hash = this.#read(command, result, operation.answer);
    // Whatever the profile's pattern lets through, a digest is 64 hex digits; either case is the same digest.
    const digest = hash.toLowerCase();
    if (!SHA256_HEX.test(digest)) throw unexpected(this.device, command, `a SHA-256 must read as 64 hex digits, not '${displaySafe(hash, 80)}'`, displaySafe(hash, 80));
    return digest;
  }

  async readFuseWord(bank: number, word: number, signal?: AbortSignal): Promise<number> {
    const operation = this.#profile.fastboot.fuseRead;
    const command = expandTemplate(operation.command, { bank, word });
    const result = await this.#client.command(command, this.#quick(signal));
    const value = this.#read(command, result, operation.answer);
    const parsed = /^(0x)?[0-9a-fA-F]{1,8}$/.test(value) ? Number.parseInt(value.replace(/^0x/, ''), 16) : Number.NaN;
    if (Number.isNaN(parsed)) throw unexpected(this.device, command, `a fuse word must read as up to 8 hex digits, not '${displaySafe(value, 40)}'`, displaySafe(value, 40));
    return parsed >>> 0;
  }

  async programFuse(bank: number, word: number, mask: number, signal?: AbortSignal): Promise<void> {
    const command = expandTemplate(this.#profile.fastboot.fuseProgram.command, { bank, word, mask: mask >>> 0 });
    await this.#client.command(command, this.#quick(signal));
  }

  async lock(signal?: AbortSignal): Promise<void> {
    await this.#client.command(this.#profile.fastboot.lock.command, this.#quick(signal));
  }

  async reboot(signal?: AbortSignal): Promise<void> {
    await this.#client.command(this.#profile.fastboot.reboot.command, this.#quick(signal));
  }

  /** Runs a long command with its deadline told to the wait listener, and its end too, however it ends. */
  async #watched<T>(kind: WaitKind, partition: string, run: (onDeadline: (deadline: Deadline) => void) => Promise<T>): Promise<T> {
    try {
      return await run((deadline) => this.#onWait(waitFor(kind, partition, deadline)));
    } finally {
      this.#onWait(null);
    }
  }

  /** A quick command: silent and finished within the profile's `timeouts.commandMs`. */
  #quick(signal: AbortSignal | undefined): CommandOptions {
    const ms = this.#profile.timeouts.commandMs;
    return { signal, timeoutMs: ms, deadlineMs: ms, deadlineBasis: `the profile's limit of ${formatSeconds(ms)} for a quick command` };
  }

  /** Group 1 of the answer pattern applied to the OKAY payload or the joined INFO text. */
  #read(command: string, result: CommandResult, answer: DeviceProfile['fastboot']['fuseRead']['answer']): string {
    const text = answer.from === 'okay' ? result.value : result.info.join('');
    const match = new RegExp(answer.pattern).exec(text);
    if (!match || match[1] === undefined) throw unexpected(this.device, command, `the answer '${displaySafe(text, 120)}' does not match ${answer.pattern}`, displaySafe(text, 120));
    return match[1];
  }
}

function waitFor(kind: WaitKind, partition: string, deadline: Deadline): HandsetWait {
  return { kind, partition, until: new Date(Date.now() + deadline.ms).toISOString() };
}

function bounded(deadline: Deadline): CommandOptions {
  return { deadlineMs: deadline.ms, deadlineBasis: deadline.basis };
}

/** `answer`: what the handset answered, escaped, which the UI quotes. */
function unexpected(device: string, command: string, detail: string, answer: string): HandsetError {
  const message = `${device} '${command}': ${detail}. The handset does not behave as its profile says; set it aside and report it.`;
  return new HandsetError('UNEXPECTED_ANSWER', message, { params: { command: displaySafe(command, 120), answer } });
}

function notPartition(partition: string): HandsetError {
  const shown = displaySafe(partition, 64);
  return new HandsetError('UNEXPECTED_ANSWER', `'${shown}' is not a partition name`, { detail: 'NOT_A_PARTITION', params: { partition: shown } });
}
