// Handsets booted into their OS, behind a serial AT port: the ports `serialport` lists (USB modems
// carry the handset's serial number in their descriptor) plus paths configured by hand, since PTYs
// and some adapters never appear in a listing. A folder configured by hand stands for every port in
// it (as `lockstep sim --pty DIR` makes them). Listing needs udevadm on Linux; without it the
// configured paths still work and the status line says what is missing. Where Linux sysfs tells,
// each port carries the USB port path its device is plugged into, so a handset's AT port can be tied
// to the slot its fastboot interface was in.
import { watch, type FSWatcher } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SerialPort } from 'serialport';
import { formatSlot, parseSlot } from '../../shared/handset.ts';
import type { SystemCondition, TransportStatus, TransportStatusWords } from '../../shared/types.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import { describeFailure } from '../../shared/describe-failure.ts';
import { HandsetError } from '../handset/errors.ts';
import type { AtPresence, DiscoveryBackend, PresenceSink } from './presence.ts';
import { systemCondition } from './system-condition.ts';

/**
 * Configured paths are a stat each: cheap enough to poll closely. A configured folder is watched too
 * (inotify), so a port appearing in it is met at once; the poll covers paths a watch cannot see.
 */
const PATH_POLL_MS = 250;
/**
 * The system listing runs udevadm, a process forked from the station each time (60 ms of its one
 * thread with a batch in memory, measured). It runs when /dev gains or loses an entry (a USB
 * serial port appearing) and otherwise this seldom, for a change the watch missed.
 */
const LISTING_POLL_MS = 30_000;
/** AT ports run at whatever rate; USB CDC ignores it and PTYs have none. */
const BAUD_RATE = 115200;
/** A USB interface's folder in sysfs: `<port path>:<configuration>.<interface>`, e.g. `1-3.2:1.0`. */
const USB_INTERFACE = /^(\d{1,3}-\d{1,3}(?:\.\d{1,3}){0,6}):\d{1,3}\.\d{1,3}$/;
/** A tty's name as the kernel gives it (`ttyACM0`); anything else is not looked up in sysfs. */
const TTY_NAME = /^tty[A-Za-z0-9_]{1,32}$/;

interface ListedPort {
  readonly path: string;
  /** From the system listing (true) or a configured path (false). */
  readonly listed: boolean;
  readonly serial: string | null;
  readonly vendorId: number | null;
  readonly productId: number | null;
}

interface LocatedPort extends ListedPort {
  readonly usbPort: string | null;
}

export interface SerialBackendOptions {
  /** Port paths or folders of ports configured by hand. */
  readonly paths: readonly string[];
  /** Also use the system's port listing (off for a station that only knows its configured ports). */
  readonly listSystemPorts: boolean;
  /** Where the system's ports appear, watched to know when to list them again; /dev unless a test says otherwise. */
  readonly deviceFolder?: string;
  /** Where sysfs is mounted, for the USB port path of each port; /sys unless a test says otherwise. */
  readonly sysfs?: string;
}

export class SerialBackend implements DiscoveryBackend {
  readonly transport = 'serial' as const;
  readonly #options: SerialBackendOptions;
  readonly #present = new Map<string, ListedPort>();
  readonly #stop = new AbortController();
  #sink: PresenceSink | null = null;
  /** Why the system's port listing failed last, in the system's words and as a condition; null while it works. */
  #listingProblem: { readonly text: string; readonly condition: SystemCondition } | null = null;
  #loop: Promise<void> | null = null;
  /** Ends the poll's current wait early: a watched folder changed, or the backend stops. */
  #wake: (() => void) | null = null;

  constructor(options: SerialBackendOptions) {
    this.#options = options;
  }

  async start(sink: PresenceSink): Promise<void> {
    this.#sink = sink;
    await this.#scan();
    this.#loop = this.#watch();
  }

  status(): TransportStatus {
    const problem = this.#listingProblem;
    const listing = problem === null ? '' : `; the system port listing is unavailable (${problem.text}): install udev (udevadm), or configure port paths by hand`;
    const count = String(this.#present.size);
    const words: TransportStatusWords =
      problem === null ? { key: 'serialPorts' as const, params: { count } } : { key: 'serialPortsNoListing' as const, params: { count, condition: problem.condition } };
    return { transport: 'serial', available: true, detail: `Serial: ${count} AT port(s)${listing}`, words };
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    this.#wake?.();
    this.#sink = null;
    await this.#loop;
  }

  async #watch(): Promise<void> {
    let lastListing = Date.now();
    let changed = false;
    let listingDue = false;
    const watchers = watchFolders(this.#options.paths, () => {
      changed = true;
      this.#wake?.();
    });
    if (this.#options.listSystemPorts) {
      watchers.push(
        ...watchFolders([this.#options.deviceFolder ?? '/dev'], () => {
          changed = true;
          listingDue = true;
          this.#wake?.();
        }),
      );
    }
    try {
      while (!this.#stop.signal.aborted) {
        if (!changed) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, PATH_POLL_MS);
            this.#wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
        this.#wake = null;
        changed = false;
        if (this.#stop.signal.aborted) return;
        const listing = listingDue || Date.now() - lastListing >= LISTING_POLL_MS;
        if (listing) lastListing = Date.now();
        listingDue = false;
        await this.#scan(listing);
      }
    } finally {
      for (const watcher of watchers) watcher.close();
    }
  }

  /** Compares what is present now with what was: the listing too when `listing`, else the configured paths only. */
  async #scan(listing = true): Promise<void> {
    const ports = new Map<string, ListedPort>();
    const listed = listing ? await this.#listed() : [...this.#present.values()].filter((port) => port.listed);
    for (const port of listed) ports.set(port.path, port);
    for (const port of await configuredPorts(this.#options.paths)) if (!ports.has(port.path)) ports.set(port.path, port);
    for (const path of this.#present.keys()) {
      if (!ports.has(path)) {
        this.#present.delete(path);
        this.#sink?.detach(`at:${path}`);
      }
    }
    for (const port of ports.values()) {
      if (this.#present.has(port.path)) continue;
      this.#present.set(port.path, port);
      const usbPort = await usbPortOf(port.path, this.#options.deviceFolder ?? '/dev', this.#options.sysfs ?? '/sys');
      // The port may have gone while sysfs was read: a later scan reports that.
      if (this.#present.get(port.path) === port) this.#sink?.attach(presence({ ...port, usbPort }));
    }
  }

  async #listed(): Promise<ListedPort[]> {
    if (!this.#options.listSystemPorts) return [];
    try {
      const listed = await SerialPort.list();
      this.#listingProblem = null;
      // Only USB ports can be handsets: a listing also holds the machine's own UARTs (ttyS0).
      return listed
        .filter((port) => port.vendorId !== undefined)
        // serialport's PortInfo names the descriptor's serial `serialNumber`; here it becomes `serial`.
        .map((port) => ({ path: port.path, listed: true, serial: port.serialNumber ?? null, vendorId: hexId(port.vendorId), productId: hexId(port.productId) }));
    } catch (error) {
      this.#listingProblem = { text: describeFailure(error), condition: systemCondition(error) };
      return [];
    }
  }
}

function presence(port: LocatedPort): AtPresence {
  return {
    kind: 'at',
    id: `at:${port.path}`,
    path: port.path,
    serial: port.serial,
    vendorId: port.vendorId,
    productId: port.productId,
    usbPort: port.usbPort,
    open: () =>
      new Promise((resolve, reject) => {
        const serial = new SerialPort({ path: port.path, baudRate: BAUD_RATE, autoOpen: false });
        serial.open((error) => {
          if (!error) return resolve({ stream: serial, close: () => closePort(serial) });
          const why = describeFailure(error);
          const params = { port: displaySafe(port.path), condition: systemCondition(error) };
          const message = `cannot open the AT port ${params.port} (${why}); another program (ModemManager, a terminal) may hold it`;
          reject(new HandsetError('AT_PORT_UNAVAILABLE', message, { params }));
        });
      }),
  };
}

function closePort(port: SerialPort): Promise<void> {
  if (!port.isOpen) return Promise.resolve();
  return new Promise((resolve) => port.close(() => resolve()));
}

/** Watches the configured paths that exist now (a folder for the ports it gains and loses); the rest are left to the poll. */
function watchFolders(paths: readonly string[], onChange: () => void): FSWatcher[] {
  const watchers: FSWatcher[] = [];
  for (const path of paths) {
    try {
      const watcher = watch(path, { persistent: false }, onChange);
      watcher.on('error', () => watcher.close());
      watchers.push(watcher);
    } catch {
      // Missing, not a folder we may read, or no inotify: the poll finds its ports.
    }
  }
  return watchers;
}

/** The configured paths that exist now, a folder standing for the ports in it. */
async function configuredPorts(paths: readonly string[]): Promise<ListedPort[]> {
  const found: ListedPort[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => null);
    if (info === null) continue;
    const members = info.isDirectory() ? (await readdir(path).catch(() => [])).sort().map((name) => join(path, name)) : [path];
    for (const member of members) found.push({ path: member, listed: false, serial: null, vendorId: null, productId: null });
  }
  return found;
}

/**
 * The USB port path (`1-3.2`) a tty's device is plugged into, from sysfs: the tty's `device` link
 * resolves into its USB interface's folder (`…/1-3/1-3.2/1-3.2:1.0`, or a folder below it for a
 * USB serial converter). Null for a PTY, a UART, a path that is not a tty in `devices`, or no sysfs.
 */
export async function usbPortOf(path: string, devices: string, sysfs: string): Promise<string | null> {
  const device = await realpath(path).catch(() => null);
  if (device === null || dirname(device) !== (await realpath(devices).catch(() => devices)) || !TTY_NAME.test(basename(device))) return null;
  const node = await realpath(join(sysfs, 'class', 'tty', basename(device), 'device')).catch(() => null);
  const usbInterface = node
    ?.split('/')
    .reverse()
    .map((folder) => USB_INTERFACE.exec(folder))
    .find((match) => match !== null);
  const slot = usbInterface ? parseSlot(usbInterface[1] as string) : null;
  return slot === null || 'problem' in slot ? null : formatSlot(slot);
}

function hexId(text: string | undefined): number | null {
  return text !== undefined && /^[0-9a-fA-F]{1,4}$/.test(text) ? Number.parseInt(text, 16) : null;
}
