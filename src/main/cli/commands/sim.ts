import { describeFailure } from '../../../shared/describe-failure.ts';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { displaySafe } from '../../../shared/untrusted.ts';
import {
  accelerate,
  createSimFleet,
  defaultScenario,
  DEFAULT_TIMING,
  DEMO_SPEEDUP,
  loadScenario,
  MAX_HANDSET_NUMBER,
  ScenarioError,
  type Scenario,
  type SimFleet,
  type SimPtyPort,
} from '../../../sim/index.ts';
import { DEFAULT_FASTBOOT_TCP_PORT } from '../../../shared/handset.ts';
import { defaultDataDir, simulatorStateDir } from '../../station/data-dir.ts';
import type { CliCommand } from '../command.ts';
import { CliError, EXIT_USAGE, type CliIo } from '../io.ts';


export const simCommand: CliCommand = {
  usage: `lockstep sim [--scenario FILE | --count N [--first N]] [--tcp PORT] [--pty DIR] [--state DIR] [--demo]
  --scenario FILE  the fleet as a scenario JSON file (docs/simulator.md); default: --count reference handsets
  --count N        N reference handsets, serials LSIM0001… (default 1)
  --first N        number of the first of them: serial LSIM<N>, USB port 1-1.<N> (default 1), so that several
                   simulators serving one station each take their own handsets (up to ${MAX_HANDSET_NUMBER} in all)
  --tcp PORT       first TCP port; handset i listens on PORT+i (default ${DEFAULT_FASTBOOT_TCP_PORT}; 0 = any free ports)
  --pty DIR        give each booted handset's AT port a real tty, linked in DIR (needs socat); prints each as it appears
  --state DIR      where partitions, fuses and lock state persist (default: the station's, $LOCKSTEP_DATA_DIR or ~/.local/share/lockstep, then simulator/)
  --demo           ${DEMO_SPEEDUP}x faster link, flash and reboot, for demonstrations`,
  async run(argv, io) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        scenario: { type: 'string' },
        count: { type: 'string' },
        first: { type: 'string' },
        tcp: { type: 'string' },
        pty: { type: 'string' },
        state: { type: 'string' },
        demo: { type: 'boolean', default: false },
      },
      strict: true,
    });
    if (values.scenario !== undefined && values.count !== undefined) throw new CliError('--scenario and --count both describe the fleet; give one of them', EXIT_USAGE);
    if (values.scenario !== undefined && values.first !== undefined) throw new CliError('--first numbers the handsets of --count; a scenario file names its own', EXIT_USAGE);
    const first = values.first === undefined ? 1 : integerOption('--first', values.first, 1, MAX_HANDSET_NUMBER);
    const scenario = await readScenario(values.scenario, values.count, first);
    const firstPort = values.tcp === undefined ? DEFAULT_FASTBOOT_TCP_PORT : integerOption('--tcp', values.tcp, 0, 65535);
    const stateDir = resolve(values.state ?? simulatorStateDir(defaultDataDir()));
    const timing = values.demo ? accelerate({ ...DEFAULT_TIMING, ...scenario.timing }, DEMO_SPEEDUP) : {};

    const fleet = await createSimFleet({ scenario, stateDir, timing }).catch((error: unknown) => {
      throw new CliError(`cannot start the virtual handsets: ${describeFailure(error)}`);
    });
    try {
      const ports = await fleet.serveTcp(firstPort).catch((error: unknown) => {
        throw new CliError(`cannot serve fastboot over TCP: ${describeFailure(error)}`);
      });
      io.out(`State directory: ${displaySafe(stateDir)}${values.demo ? ` (demo mode: ${DEMO_SPEEDUP}x faster)` : ''}\n`);
      fleet.handsets.forEach((handset, index) => {
        io.out(`${displaySafe(handset.serial, 64)}\ttcp:127.0.0.1:${ports[index]}\n`);
        handset.onModeChange((mode) => io.out(`${displaySafe(handset.serial, 64)}: ${mode}\n`));
      });
      if (values.pty !== undefined) await announcePtys(fleet, resolve(values.pty), io);
      io.out(`Serving ${fleet.handsets.length} virtual handset(s). Press Ctrl-C to stop.\n`);
      await untilStopped(io);
    } finally {
      await fleet.close();
    }
    io.out('Stopped; handset state is saved.\n');
    return 0;
  },
};

/** Prints `<serial>\tat:<tty link>` for each AT port as it appears, and a line when it goes or cannot be made. */
async function announcePtys(fleet: SimFleet, dir: string, io: CliIo): Promise<void> {
  const server = await fleet.servePty(dir).catch((error: unknown) => {
    throw new CliError(`cannot serve the AT ports on ttys: ${describeFailure(error)}`);
  });
  const serial = (port: SimPtyPort): string => displaySafe(port.serial, 64);
  const appeared = (port: SimPtyPort): void => io.out(`${serial(port)}\tat:${displaySafe(port.path)}\n`);
  server.list().forEach(appeared);
  server.onChange((change) => {
    if (change.kind === 'failed') io.err(`${serial(change.port)}: no tty for the AT port: ${displaySafe(change.reason)}\n`);
    else if (change.kind === 'added') appeared(change.port);
    else io.out(`${serial(change.port)}: AT port ${displaySafe(change.port.path)} removed\n`);
  });
}

async function readScenario(path: string | undefined, count: string | undefined, first: number): Promise<Scenario> {
  try {
    if (path !== undefined) return await loadScenario(path);
    return defaultScenario(count === undefined ? 1 : integerOption('--count', count, 1, Number.MAX_SAFE_INTEGER), first);
  } catch (error) {
    if (error instanceof ScenarioError) throw new CliError(error.message);
    throw error;
  }
}

function integerOption(name: string, text: string, min: number, max: number): number {
  if (!/^[0-9]{1,6}$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new CliError(`${name} takes a whole number from ${min} to ${Math.min(max, 999_999)}, not '${displaySafe(text, 20)}'`, EXIT_USAGE);
  }
  return Number(text);
}

function untilStopped(io: CliIo): Promise<void> {
  return new Promise((resolve) => {
    const stop = (signal: string): void => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      io.out(`${signal}: stopping…\n`);
      resolve();
    };
    const onInt = (): void => stop('SIGINT');
    const onTerm = (): void => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
}
