// Real ttys for the AT ports: each booted handset's port is mirrored onto a pseudo-terminal made by
// Debian's socat, its slave linked at `<dir>/<handset folder name>`, so the station's `serialport`
// code opens and configures a real tty exactly as it would a USB modem. The link disappears when
// the handset leaves the bus, as /dev/ttyACM* does when a phone is unplugged.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
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
  readonly serialNumber: string;
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

interface Mirror {
  readonly port: SimPtyPort;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
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
  const mirrors = new Map<string, Mirror>();
  /** Per port path: the last start or stop, so a quick reboot never races the previous socat's unlink. */
  const turns = new Map<string, Promise<unknown>>();
  const listeners = new Set<(change: SimPtyChange) => void>();
  let closed = false;

  const inTurn = (path: string, step: () => Promise<void>): Promise<void> => {
    const run = (turns.get(path) ?? Promise.resolve()).then(step);
    turns.set(path, run.catch(() => undefined));
    return run;
  };
  const start = (info: SimSerialPortInfo): Promise<void> =>
    inTurn(info.path, async () => {
      if (closed || mirrors.has(info.path) || !bus.list().some((port) => port.path === info.path)) return;
      const port = { serialNumber: info.serialNumber, path: linkPath(dir, info) };
      let mirror: Mirror;
      try {
        mirror = await startMirror(bus, info, port);
      } catch (error) {
        return notifyEach(listeners, { kind: 'failed', port, reason: (error as Error).message });
      }
      mirrors.set(info.path, mirror);
      notifyEach(listeners, { kind: 'added', port });
      void mirror.exited.then(() => stop(info.path));
    });
  const stop = (path: string): Promise<void> =>
    inTurn(path, async () => {
      const mirror = mirrors.get(path);
      if (!mirror) return;
      mirror.child.kill('SIGTERM');
      await mirror.exited;
      mirrors.delete(path);
      notifyEach(listeners, { kind: 'removed', port: mirror.port });
    });

  const stopFollowing = bus.onChange((change) => void (change.kind === 'added' ? start(change.port) : stop(change.port.path)));
  await Promise.all(bus.list().map(start));

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

/** socat with a PTY on one side and its stdio on the other, piped to the port's byte stream. */
async function startMirror(bus: SimSerialBus, info: SimSerialPortInfo, port: SimPtyPort): Promise<Mirror> {
  const { path } = port;
  const child = spawn('socat', ['-d', '-d', `PTY,link=${path},rawer,echo=0`, 'STDIO'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<void>((done) => child.once('close', () => done()));
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => (stderr = (stderr + text).slice(-STDERR_KEPT)));
  try {
    await new Promise<void>((ready, fail) => {
      const timer = setTimeout(() => fail(new Error(`socat did not set up ${path} within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
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
        fail(new Error(`socat exited with ${code} before ${path} was ready: ${displaySafe(stderr.trim(), 400)}`));
      });
    });
    const stream = bus.open(info.path);
    stream.on('error', () => undefined);
    child.stdin?.on('error', () => undefined);
    // The handset leaving ends the stream, which ends socat's input: socat exits and removes the link.
    stream.pipe(child.stdin as NodeJS.WritableStream);
    child.stdout?.pipe(stream);
    void exited.then(() => stream.destroy());
  } catch (error) {
    child.kill('SIGTERM');
    await exited;
    throw error;
  }
  return { port, child, exited };
}
