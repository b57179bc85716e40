// The virtual handsets of a bench's fleet, served by several `lockstep sim` processes. Real handsets
// each have their own CPU; one simulator process runs all of its handsets on one thread, and with 32
// handsets on one process it was the simulator that set the pace (1.1 cores in the flash phase, its
// thread saturated), so the bench measured the simulator rather than the station. Each process gets
// its own handsets (`--first`, so serials and USB ports never collide), its own free TCP ports, state
// folder and tty folder; to the station the fleet is the same handsets as from one process.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Handsets one simulator process kept up with in the provisioning bench: 16 came within 1.05 of the floor. */
export const MOST_PER_PROCESS = 16;
/** Fewer per process than this gains little: each process pays its own start-up and hashes each distinct content once. */
const FEWEST_PER_PROCESS = 8;

/**
 * How many simulator processes serve `handsets`: at most 16 handsets per process; where the machine
 * has cores beyond the one the station needs, spread down to 8 per process over those cores (more
 * processes than cores to run them only add memory and duplicate hashing). On this 2-core machine:
 * 1 process up to 16 handsets, 2 for 32. `perProcess` (LOCKSTEP_BENCH_SIM_HANDSETS) overrides.
 */
export function simProcessCount(handsets: number, cores: number, perProcess?: number): number {
  if (perProcess !== undefined) return Math.ceil(handsets / perProcess);
  return Math.max(Math.ceil(handsets / MOST_PER_PROCESS), Math.min(Math.ceil(handsets / FEWEST_PER_PROCESS), cores - 1));
}

/** Numbers 1…`handsets` cut into `processes` runs as even as possible: [first, count] of each. */
export function splitFleet(handsets: number, processes: number): [number, number][] {
  const runs: [number, number][] = [];
  for (let index = 0, first = 1; index < processes; index++) {
    const count = Math.floor(handsets / processes) + (index < handsets % processes ? 1 : 0);
    if (count > 0) runs.push([first, count]);
    first += count;
  }
  return runs;
}

export interface BenchHandset {
  readonly serial: string;
  readonly port: number;
  /** The state folder of the process serving it, where its command log is. */
  readonly stateDir: string;
}

export interface BenchSimFleet {
  readonly handsets: readonly BenchHandset[];
  /** The simulator processes' pids, in the order of their handsets. */
  readonly pids: readonly number[];
  /** The tty folder of each process (with `pty`), for the station's `--serial`. */
  readonly ptyDirs: readonly string[];
  stop(): Promise<void>;
}

export interface SimFleetOptions {
  readonly lockstep: string;
  readonly handsets: number;
  readonly processes: number;
  /** Each process's state folder is `<dir>/state-<i>`, its tty folder `<dir>/pty-<i>`. */
  readonly dir: string;
  /** Gives each booted handset's AT port a tty (`--pty`). */
  readonly pty: boolean;
  /** The handsets' download buffer in MiB, when not the simulator's default (a scenario file per process). */
  readonly maxDownloadMib?: number;
  /** Node options before the CLI (e.g. `--cpu-prof`). */
  readonly nodeOptions?: readonly string[];
}

/** Starts the processes, each on its run of handset numbers, and waits until all of them serve. */
export async function startBenchSimFleet(options: SimFleetOptions): Promise<BenchSimFleet> {
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(children.splice(0).map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
    }));
  };
  mkdirSync(options.dir, { recursive: true });
  try {
    const runs = splitFleet(options.handsets, options.processes);
    const served = await Promise.all(runs.map(([first, count], index) => {
      const stateDir = join(options.dir, `state-${index}`);
      const ptyDir = join(options.dir, `pty-${index}`);
      const fleet = options.maxDownloadMib === undefined
        ? ['--count', String(count), '--first', String(first)]
        : ['--scenario', smallBufferScenario(join(options.dir, `scenario-${index}.json`), first, count, options.maxDownloadMib)];
      const child = spawn(process.execPath, [...(options.nodeOptions ?? []), options.lockstep, 'sim', ...fleet, '--tcp', '0',
        ...(options.pty ? ['--pty', ptyDir] : []), '--state', stateDir], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      return simHandsets(child, count).then((handsets) => ({ handsets: handsets.map((handset) => ({ ...handset, stateDir })), pid: child.pid ?? 0, ptyDir }));
    }));
    return {
      handsets: served.flatMap((server) => server.handsets),
      pids: served.map((server) => server.pid),
      ptyDirs: options.pty ? served.map((server) => server.ptyDir) : [],
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A scenario file of reference handsets numbered as `--count N --first F` numbers them, whose download buffer holds `mib` MiB. */
function smallBufferScenario(path: string, first: number, count: number, mib: number): string {
  const devices = Array.from({ length: count }, (_, index) => ({
    serial: `LSIM${String(first + index).padStart(4, '0')}`,
    usbPort: `1-1.${first + index}`,
    maxDownloadSize: mib * 1024 * 1024,
  }));
  writeFileSync(path, JSON.stringify({ devices }));
  return path;
}

/** Waits for `Serving N` and returns each handset's serial and port; keeps draining its output. */
function simHandsets(child: ChildProcess, expected: number): Promise<{ serial: string; port: number }[]> {
  let output = '';
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => (errors = (errors + chunk.toString('utf8')).slice(-8192)));
  let serving = false;
  return new Promise((done, fail) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (serving) return;
      output += chunk.toString('utf8');
      if (!/^Serving \d+ /m.test(output)) return;
      serving = true;
      const found = [...output.matchAll(/^(\S+)\ttcp:127\.0\.0\.1:(\d+)$/gm)].map((match) => ({ serial: match[1] as string, port: Number(match[2]) }));
      if (found.length === expected) done(found);
      else fail(new Error(`lockstep sim served ${found.length} handsets, not ${expected}:\n${output}`));
    });
    child.once('exit', (code) => fail(new Error(`lockstep sim exited ${code} before serving:\n${output}${errors}`)));
  });
}
