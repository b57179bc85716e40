// The pipeline's abstract fastboot operations, spoken in the dialect of one device profile: the
// profile supplies each command's text and the pattern its answer must match, this module fills
// in the values (which are always the station's own, never the device's) and reads the answer.
import { PARTITION_NAME } from '../../shared/identifiers.ts';
import type { DeviceProfile } from '../../shared/profile.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import type { CommandResult, FastbootClient } from '../fastboot/client.ts';
import { HandsetError } from './errors.ts';

/** What the identify step reads, exactly as the handset answered (hostile until compared). */
export interface FastbootIdentity {
  readonly serialNumber: string;
  readonly product: string;
  readonly hwRevision: string;
  readonly bootloaderVersion: string;
  /** The lock-state variable's raw answer, and what it means under the profile (null: neither spelling). */
  readonly lockState: string;
  readonly unlocked: boolean | null;
  readonly batteryMillivolts: string;
}

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

  constructor(client: FastbootClient, profile: DeviceProfile) {
    this.#client = client;
    this.#profile = profile;
  }

  get device(): string {
    return this.#client.device;
  }

  get client(): FastbootClient {
    return this.#client;
  }

  async readIdentity(signal?: AbortSignal): Promise<FastbootIdentity> {
    const names = this.#profile.identity;
    const get = (name: string): Promise<string> => this.#client.getvar(name, { signal, timeoutMs: this.#profile.timeouts.commandMs });
    const lockState = await get(names.lockState);
    const spelled = this.#profile.lockStateValues;
    return {
      serialNumber: await get(names.serialNumber),
      product: await get(names.product),
      hwRevision: await get(names.hwRevision),
      bootloaderVersion: await get(names.bootloaderVersion),
      lockState,
      unlocked: lockState === spelled.unlocked ? true : lockState === spelled.locked ? false : null,
      batteryMillivolts: await get(names.batteryMillivolts),
    };
  }

  /** The SHA-256 the device computes over the first `bytes` of a partition. */
  async partitionHash(partition: string, bytes: number, signal?: AbortSignal): Promise<string> {
    if (!PARTITION_NAME.test(partition)) throw new HandsetError('UNEXPECTED_ANSWER', `'${displaySafe(partition, 64)}' is not a partition name`);
    const operation = this.#profile.fastboot.partitionHash;
    const command = expandTemplate(operation.command, { partition, bytes });
    const result = await this.#client.command(command, { signal, timeoutMs: this.#profile.timeouts.hashMs });
    return this.#read(command, result, operation.answer).toLowerCase();
  }

  async readFuseWord(bank: number, word: number, signal?: AbortSignal): Promise<number> {
    const operation = this.#profile.fastboot.fuseRead;
    const command = expandTemplate(operation.command, { bank, word });
    const result = await this.#client.command(command, { signal, timeoutMs: this.#profile.timeouts.commandMs });
    const value = this.#read(command, result, operation.answer);
    const parsed = /^(0x)?[0-9a-fA-F]{1,8}$/.test(value) ? Number.parseInt(value.replace(/^0x/, ''), 16) : Number.NaN;
    if (Number.isNaN(parsed)) throw unexpected(this.device, command, `a fuse word must read as up to 8 hex digits, not '${displaySafe(value, 40)}'`);
    return parsed >>> 0;
  }

  async programFuse(bank: number, word: number, mask: number, signal?: AbortSignal): Promise<void> {
    const command = expandTemplate(this.#profile.fastboot.fuseProgram.command, { bank, word, mask: mask >>> 0 });
    await this.#client.command(command, { signal, timeoutMs: this.#profile.timeouts.commandMs });
  }

  async lock(signal?: AbortSignal): Promise<void> {
    await this.#client.command(this.#profile.fastboot.lock.command, { signal, timeoutMs: this.#profile.timeouts.commandMs });
  }

  async reboot(signal?: AbortSignal): Promise<void> {
    await this.#client.command(this.#profile.fastboot.reboot.command, { signal, timeoutMs: this.#profile.timeouts.commandMs });
  }

  /** Group 1 of the answer pattern applied to the OKAY payload or the joined INFO text. */
  #read(command: string, result: CommandResult, answer: DeviceProfile['fastboot']['fuseRead']['answer']): string {
    const text = answer.from === 'okay' ? result.value : result.info.join('');
    const match = new RegExp(answer.pattern).exec(text);
    if (!match || match[1] === undefined) throw unexpected(this.device, command, `the answer '${displaySafe(text, 120)}' does not match ${answer.pattern}`);
    return match[1];
  }
}

function unexpected(device: string, command: string, detail: string): HandsetError {
  return new HandsetError('UNEXPECTED_ANSWER', `${device} '${command}': ${detail}. The handset does not behave as its profile says; set it aside and report it.`);
}
