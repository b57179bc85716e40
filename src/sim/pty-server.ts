// Real ttys for the AT ports: each booted handset's port is mirrored onto a pseudo-terminal made by
// Debian's socat, its slave linked at `<dir>/<handset folder name>`, so the station's `serialport`
// code opens and configures a real tty exactly as it would a USB modem. The link disappears when
// the handset leaves the bus, as /dev/ttyACM* does when a phone is unplugged.
// Forking socat holds the simulator's one thread for 15-30 ms, and a fleet's handsets boot
// together: the last port appeared up to half a second after its handset booted. So a socat with
// its PTY ready waits for each handset not booted (standbys, linked in a private folder), and a
// booting handset takes one: its port appears at once, and the next standby is made after.
import { describeFailure } from '../shared/describe-failure.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readlink, rm, symlink, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { displaySafe } from '../shared/untrusted.ts';
import type { SimSerialPortInfo } from './at-port.ts';
import { notifyEach } from './listeners.ts';
import type { SimSerialBus } from './serial-bus.ts';

/** socat parses its address argument itself: these would change the meaning of the link path. */
const SOCAT_SAFE_PATH = /^[A-Za-z0-9_./+=@%~-]+$/;
const READY_TIMEOUT_MS = 10_000;
const STDERR_KEPT = 2000;

export interface SimPtyPort {
  /** The serial number as the port's USB descriptor carries it. */
  readonly serial: string;
  /** The symlink to the PTY slave: what the station opens with `serialport`. */
  readonly path: string;
}

/** A tty appeared or went; or one could not be made (the in-process port still works then). */
export type SimPtyChange =
  | { readonly kind: 'added' | 'removed'; readonly port: SimPtyPort }
  | { readonly kind: 'failed'; readonly port: SimPtyPort; readonly reason: string };

export interface SimPtyServer {
  /** The ports mirrored now, each with its link in place. */
  list(): SimPtyPort[];
  /** 'added' once a link exists, 'removed' once it is gone, 'failed' when socat could not make one; returns the function that stops listening. */
  onChange(listener: (change: SimPtyChange) => void): () => void;
  close(): Promise<void>;
}

/** A socat whose PTY is made, linked in the standby folder, its stdio not yet joined to a port. */
interface Socat {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  /** The PTY slave socat made (/dev/pts/N). */
  readonly slave: string;
}

interface Mirror {
  readonly port: SimPtyPort;
  readonly socat: Socat;
}

export class PtyUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PtyUnavailableError';
  }
}

export async function servePty(bus: SimSerialBus, directory: string): Promise<SimPtyServer> {
  const dir = resolve(directory);
  if (!SOCAT_SAFE_PATH.test(dir)) {
    throw new PtyUnavailableError(`cannot link serial ports under ${displaySafe(dir)}: use a folder path of letters, digits and _ . / + = @ % ~ - only (socat parses the rest)`);
  }
  await requireSocat();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const standbyDir = await mkdtemp(join(tmpdir(), 'lockstep-pty-standby-'));
  const mirrors = new Map<string, Mirror>();
  /** Per port path: the last start or stop, so a quick reboot never races the previous socat's unlink. */
  const turns = new Map<string, Promise<unknown>>();
  const listeners = new Set<(change: SimPtyChange) => void>();
  const standbys: Promise<Socat | null>[] = [];
  let made = 0;
  let closed = false;

  /** Keeps one standby for every handset that may boot (those not booted now). */
  const topUp = (): void => {
    while (!closed && mirrors.size + standbys.length < bus.capacity) {
      standbys.push(startSocat(join(standbyDir, String(made++))).catch(() => null));
    }
  };
  const takeSocat = async (): Promise<Socat> => {
    const standby = await standbys.shift();
    // None ready (or it failed): make one now, which says why if it cannot.
    return standby && standby.child.exitCode === null ? standby : startSocat(join(standbyDir, String(made++)));
  };
  const inTurn = (path: string, step: () => Promise<void>): Promise<void> => {
    const run = (turns.get(path) ?? Promise.resolve()).then(step);
    turns.set(path, run.catch(() => undefined));
    return run;
  };
  const start = (info: SimSerialPortInfo): Promise<void> =>
    inTurn(info.path, async () => {
      if (closed || mirrors.has(info.path) || !bus.list().some((port) => port.path === info.path)) return;
      const port = { serial: info.serial, path: linkPath(dir, info) };
      let socat: Socat | null = null;
      try {
        socat = await takeSocat();
        await joinPort(bus, info, port, socat);
      } catch (error) {
        if (socat) await stopSocat(socat, port.path);
        return notifyEach(listeners, { kind: 'failed', port, reason: describeFailure(error) });
      }
      mirrors.set(info.path, { port, socat });
      notifyEach(listeners, { kind: 'added', port });
      void socat.exited.then(() => stop(info.path));
    });
  const stop = (path: string): Promise<void> =>
    inTurn(path, async () => {
      const mirror = mirrors.get(path);
      if (!mirror) return;
      await stopSocat(mirror.socat, mirror.port.path);
      mirrors.delete(path);
      notifyEach(listeners, { kind: 'removed', port: mirror.port });
      topUp();
    });

  const stopFollowing = bus.onChange((change) => void (change.kind === 'added' ? start(change.port) : stop(change.port.path)));
  await Promise.all(bus.list().map(start));
  topUp();

  return {
    list: () => [...mirrors.values()].map((mirror) => mirror.port),
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      closed = true;
      stopFollowing();
      await Promise.all([...mirrors.keys()].map(stop));
      await Promise.all(standbys.splice(0).map(async (standby) => void (await standby.then((socat) => socat && stopSocat(socat, null)))));
      await rm(standbyDir, { recursive: true, force: true });
      listeners.clear();
    },
  };
}

function requireSocat(): Promise<void> {
  return new Promise((done, fail) => {
    const probe = spawn('socat', ['-V'], { stdio: 'ignore' });
    probe.once('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'ENOENT' ? 'socat is not installed (Debian/Ubuntu: apt install socat)' : `socat cannot be run (${error.message})`;
      fail(new PtyUnavailableError(`cannot give the AT ports real ttys: ${why}`));
    });
    probe.once('exit', () => done());
  });
}

function linkPath(dir: string, info: SimSerialPortInfo): string {
  return join(dir, info.path.replace(/^sim:/, ''));
}

/** socat with a PTY on one side (linked at `link`) and its stdio on the other, once it has made both. */
async function startSocat(link: string): Promise<Socat> {
  const child = spawn('socat', ['-d', '-d', `PTY,link=${link},rawer,echo=0`, 'STDIO'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<void>((done) => child.once('close', () => done()));
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => (stderr = (stderr + text).slice(-STDERR_KEPT)));
  child.stdin?.on('error', () => undefined);
  try {
    await new Promise<void>((ready, fail) => {
      const timer = setTimeout(() => fail(new Error(`socat did not make a PTY within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
      // socat's notice after it opened both sides, the PTY link included.
      child.stderr?.on('data', () => {
        if (stderr.includes('starting data transfer loop')) {
          clearTimeout(timer);
          ready();
        }
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        fail(error);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`socat exited with ${code} before its PTY was ready: ${displaySafe(stderr.trim(), 400)}`));
      });
    });
    return { child, exited, slave: await readlink(link) };
  } catch (error) {
    child.kill('SIGTERM');
    await exited;
    throw error;
  }
}

/** Links the PTY at the port's path and pipes the port's byte stream through socat. */
async function joinPort(bus: SimSerialBus, info: SimSerialPortInfo, port: SimPtyPort, socat: Socat): Promise<void> {
  const stream = bus.open(info.path);
  stream.on('error', () => undefined);
  await rm(port.path, { force: true });
  await symlink(socat.slave, port.path);
  // The handset leaving ends the stream, which ends socat's input: socat exits, and the link goes.
  stream.pipe(socat.child.stdin as NodeJS.WritableStream);
  socat.child.stdout?.pipe(stream);
  void socat.exited.then(() => stream.destroy());
}

/** Ends socat (closing its PTY: an open tty hangs up) and removes the port's link, if it has one. */
async function stopSocat(socat: Socat, link: string | null): Promise<void> {
  socat.child.kill('SIGTERM');
  await socat.exited;
  if (link) await unlink(link).catch(() => undefined);
}
