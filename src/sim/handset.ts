// One virtual handset: its model, identity, persistent state, partitions and download buffer, its
// command log, whether it is on the bus in fastboot mode or running its OS (with an AT port), and
// the link (TCP connection or claimed USB interface) talking to its bootloader. Protocol engines
// and transports hang off this object; it knows neither protocol.
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { WaitList } from '../lib/async/wait-list.ts';
import { displaySafe } from '../shared/untrusted.ts';
import { SimAtPort } from './at-port.ts';
import { CommandLog } from './command-log.ts';
import { DownloadBuffer } from './download-buffer.ts';
import type { VariableSource } from './fastboot-variables.ts';
import { FaultPlan } from './faults.ts';
import { lockHandsetDirectory } from './handset-lock.ts';
import { handsetDirectoryName, HandsetState } from './handset-state.ts';
import { notifyEach } from './listeners.ts';
import { fuseMask, MODELS, type FuseName, type HandsetModel } from './models/index.ts';
import { PartitionStore } from './partition-store.ts';
import { REFERENCE_PARTITIONS, SLOTTED_PARTITIONS, type PartitionSpec } from './platform.ts';
import type { ScenarioDevice, SimTiming } from './scenario.ts';
import { SimUsbDevice } from './usb-device.ts';

/**
 * fastboot: on the bus, answering fastboot. rebooting: off the bus for the reboot time (for good
 * when a reboot-hang fault strikes). booted: running its OS, with an AT port. unplugged: off the
 * bus until plugged in.
 */
export type HandsetMode = 'fastboot' | 'rebooting' | 'booted' | 'unplugged';

/** What a protocol session needs to hear when the handset drops off the bus. */
export interface AttachedSession {
  detach(): void;
}

type ModeListener = (mode: HandsetMode) => void;

export class SimHandset {
  readonly serial: string;
  readonly device: ScenarioDevice;
  readonly model: HandsetModel;
  readonly timing: SimTiming;
  readonly state: HandsetState;
  readonly partitions: PartitionStore;
  readonly download: DownloadBuffer;
  readonly faults: FaultPlan;
  readonly commandLog: CommandLog;
  readonly #unlock: () => Promise<void>;
  #mode: HandsetMode = 'fastboot';
  #usbDevice: SimUsbDevice | null = null;
  #atPort: SimAtPort | null = null;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  readonly #listeners = new Set<ModeListener>();
  readonly #sessions = new Set<AttachedSession>();
  /** Commands run one at a time, as on a single-threaded bootloader. */
  #work: Promise<unknown> = Promise.resolve();
  #linkHeld = false;
  readonly #linkWaiters = new WaitList();

  private constructor(device: ScenarioDevice, timing: SimTiming, state: HandsetState, partitions: PartitionStore, commandLog: CommandLog, unlock: () => Promise<void>) {
    this.serial = device.serial;
    this.#unlock = unlock;
    this.device = device;
    this.model = MODELS[device.model];
    this.timing = timing;
    this.commandLog = commandLog;
    this.state = state;
    this.partitions = partitions;
    this.download = new DownloadBuffer(join(state.directory, 'download.buffer'), device.maxDownloadSize);
    this.faults = new FaultPlan(device.faults);
    this.#usbDevice = new SimUsbDevice(this);
  }

  static async create(device: ScenarioDevice, stateDir: string, timing: SimTiming): Promise<SimHandset> {
    const directory = join(stateDir, handsetDirectoryName(device.serial));
    await mkdir(directory, { recursive: true, mode: 0o700 });
    const unlock = await lockHandsetDirectory(directory, displaySafe(device.serial, 64));
    try {
      const state = await HandsetState.open(stateDir, device.serial, { unlocked: device.unlocked, fuses: device.fuses });
      const partitions = await PartitionStore.open(join(state.directory, 'partitions'), REFERENCE_PARTITIONS);
      // A download buffer left by a crashed run is RAM content of a handset that has since lost power.
      for (const name of await readdir(state.directory)) if (name.startsWith('download.buffer')) await rm(join(state.directory, name), { force: true });
      return new SimHandset(device, timing, state, partitions, await CommandLog.open(state.directory), unlock);
    } catch (error) {
      await unlock();
      throw error;
    }
  }

  get mode(): HandsetMode {
    return this.#mode;
  }

  /** On the bus in fastboot mode. */
  get attached(): boolean {
    return this.#mode === 'fastboot';
  }

  get usbDevice(): USBDevice | null {
    return this.#usbDevice;
  }

  /** The OS's serial port while the handset is booted. */
  get atPort(): SimAtPort | null {
    return this.#atPort;
  }

  get unlocked(): boolean {
    return this.state.unlocked;
  }

  fuseWord(bank: number, word: number): number {
    return this.state.fuseWord(bank, word);
  }

  /** Whether this model's fuse of that name is burned (the real word, not what a faulty readback says). */
  fuseBurned(name: FuseName): boolean {
    const fuse = this.model.fuses[name];
    return (this.state.fuseWord(fuse.bank, fuse.word) & fuseMask(fuse)) !== 0;
  }

  partitionSha256(name: string, bytes: number): Promise<string> {
    return this.partitions.sha256(name, bytes);
  }

  /** A partition by its full name, or by a slotted base name on the active slot (as bootloaders accept `flash:boot`). */
  resolvePartition(name: string): PartitionSpec | null {
    return this.partitions.spec(name) ?? (SLOTTED_PARTITIONS.includes(name) ? (this.partitions.spec(`${name}_${this.state.currentBootSlot}`) ?? null) : null);
  }

  variables(): VariableSource {
    const { hwRevision, bootloaderVersion, batteryVoltage } = this.device;
    return {
      serial: this.serial,
      product: this.device.product,
      maxDownloadSize: this.device.maxDownloadSize,
      currentBootSlot: this.state.currentBootSlot,
      secure: this.fuseBurned('SECURE_BOOT'),
      vendor: this.model.vendorVariables({ hwRevision, bootloaderVersion, batteryVoltage, unlocked: this.state.unlocked }),
      partitions: this.partitions.partitions,
      overrides: this.device.getvarOverrides,
    };
  }

  /** Runs `work` after every earlier command of this handset has finished. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#work.then(work);
    this.#work = run.catch(() => undefined);
    return run;
  }

  /** Drops the download buffer's content once the running command is done. */
  forgetDownload(): void {
    this.exclusive(() => this.download.clear()).catch(() => undefined);
  }

  /** Takes the handset's one link, waiting while another connection holds it. */
  async acquireLink(signal: AbortSignal): Promise<() => void> {
    await this.#linkWaiters.until(() => !this.#linkHeld, signal);
    return this.#holdLink();
  }

  /** Takes the link if it is free (claiming a USB interface does not queue), else null. */
  tryAcquireLink(): (() => void) | null {
    return this.#linkHeld ? null : this.#holdLink();
  }

  /** Registers a session to be told when the handset leaves the bus; returns the unregister function. */
  addSession(session: AttachedSession): () => void {
    this.#sessions.add(session);
    return () => this.#sessions.delete(session);
  }

  onModeChange(listener: ModeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Leaves the bus now and is up again after the reboot time, in fastboot or in its OS (unless a reboot-hang fault keeps it down). */
  reboot(into: 'bootloader' | 'system'): void {
    this.#leave('rebooting');
    if (into === 'system' && this.faults.takeRebootHang()) return;
    this.#after(this.timing.rebootMs, () => (into === 'bootloader' ? this.#enterFastboot() : this.#setMode('booted')));
  }

  /** Pulls the cable; with a delay, the operator plugs it back in that much later. */
  unplug(reattachAfterMs: number | null = null): void {
    this.#leave('unplugged');
    if (reattachAfterMs !== null) this.#after(reattachAfterMs, () => this.#enterFastboot());
  }

  /** Plugs the handset in with the button held, so it starts in fastboot mode. */
  plugIn(): void {
    if (this.#closed || this.#mode === 'fastboot') return;
    this.#clearTimer();
    this.#enterFastboot();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#clearTimer();
    for (const session of [...this.#sessions]) session.detach();
    this.#usbDevice?.detach();
    this.#usbDevice = null;
    this.#atPort?.close();
    this.#atPort = null;
    this.#listeners.clear();
    await this.#work;
    await this.download.dispose();
    await this.commandLog.close();
    await this.#unlock();
  }

  #holdLink(): () => void {
    this.#linkHeld = true;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#linkHeld = false;
      this.#linkWaiters.wakeAll();
    };
  }

  #leave(mode: HandsetMode): void {
    if (this.#closed) return;
    this.#clearTimer();
    if (this.attached) {
      for (const session of [...this.#sessions]) session.detach();
      this.#usbDevice?.detach();
      this.#usbDevice = null;
      // A bootloader's download buffer is RAM: gone with the power.
      this.forgetDownload();
    }
    this.#setMode(mode);
  }

  #enterFastboot(): void {
    if (this.#closed) return;
    this.#usbDevice = new SimUsbDevice(this);
    this.#setMode('fastboot');
  }

  /** Every mode change goes through here, so the AT port exists exactly while the OS runs. */
  #setMode(mode: HandsetMode): void {
    if (this.#mode === 'booted' && mode !== 'booted') {
      this.#atPort?.close();
      this.#atPort = null;
    }
    if (mode === 'booted' && this.#mode !== 'booted') this.#atPort = new SimAtPort(this);
    this.#mode = mode;
    notifyEach(this.#listeners, mode);
  }

  #after(ms: number, action: () => void): void {
    this.#timer = setTimeout(() => {
      this.#timer = null;
      action();
    }, ms);
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
