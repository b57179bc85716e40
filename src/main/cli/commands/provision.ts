import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { PipelineSnapshot } from '../../../shared/pipeline.ts';
import { parseTagPattern } from '../../../shared/asset-tag.ts';
import { displaySafe } from '../../../shared/untrusted.ts';
import { accelerate, createSimFleet, defaultScenario, DEFAULT_TIMING, DEMO_SPEEDUP, loadScenario, ScenarioError, type SimFleet } from '../../../sim/index.ts';
import { BundleError } from '../../bundle/errors.ts';
import { KeyFileError } from '../../bundle/keys.ts';
import { describeFailure } from '../../../shared/describe-failure.ts';
import { HandsetRegistry } from '../../discovery/registry.ts';
import { SimSerialBackend } from '../../discovery/sim-serial-backend.ts';
import { SerialBackend } from '../../discovery/serial-backend.ts';
import { TcpBackend } from '../../discovery/tcp-backend.ts';
import { UsbBackend } from '../../discovery/usb-backend.ts';
import { ProfileError } from '../../profiles/profile-store.ts';
import { RecordsError } from '../../records/errors.ts';
import { openStationRecords } from '../../records/station-records.ts';
import { defaultDataDir } from '../../station/data-dir.ts';
import { loadSettings, parseTcpEndpoints, SettingsError } from '../../station/settings.ts';
import { ensureDemoBundle, ensureDemoOperators, DEMO_OPERATOR, DEMO_SUPERVISOR } from '../../station/demo-station.ts';
import { startProvisioning, type StartedBatch } from '../../station/provisioning.ts';
import { openSystemUsbBus } from '../../usb/system-bus.ts';
import type { CliCommand } from '../command.ts';
import { CliError, EXIT_USAGE, type CliIo } from '../io.ts';
import { createPinSource, refusePinInArgv } from '../pin-prompt.ts';
import { LiveTable } from '../live-table.ts';
import { batchLine, eventLines } from '../provision-events.ts';

/** Asset tags when the depot names no pattern: the station's own prefix, the year, a six-digit sequence. */
const DEFAULT_TAG_PATTERN = 'LS-{yyyy}-{seq:06}';

/** Bundle, authorisation and usage errors: nothing was provisioned because the batch never started. */
const EXIT_SETUP = 2;
/** How long an expected handset may stay unplugged before the run stops waiting for it. */
const REPLUG_GRACE_MS = 60_000;

export const provisionCommand: CliCommand = {
  usage: `lockstep provision --bundle B [--trust DIR]... --db FILE --operator ID --supervisor ID [source] [--parallel N] [--json]
  lockstep provision --sim N                     one-line demo: demo bundle, demo operators, demo database
  sources: --sim N | --scenario FILE [--sim-state DIR]   a simulated fleet in this process
           (default) the handsets on this station's USB bus and serial ports, plus
           --tcp HOST:PORT[-LAST]...  fastboot TCP endpoints (a network bootloader, a lockstep sim --tcp fleet)
           --serial PATH...           AT port paths, or folders of them, that no port listing shows (lockstep sim --pty DIR)
           endpoints, port paths and slot names can also live in DATA/station-settings.json (docs/pipeline.md)
  --expect N     stop once N handsets have an outcome (default: the simulated fleet's size; otherwise run until Ctrl-C)
  --parallel N   handsets flashed at once (default 4)
  --cap N        the most handsets the supervisor's authorisation covers (default: the fleet size, else 100)
  --new-batch    open a new batch even if this database has one for the same bundle (default: continue it)
  --tag-pattern P  asset tags of a new batch, e.g. DEPOT7-{yyyy}-{seq:06} (default ${DEFAULT_TAG_PATTERN}; {yyyy} {yy} {mm} {dd} {seq:N})
  PINs come from LOCKSTEP_OPERATOR_PIN / LOCKSTEP_SUPERVISOR_PIN, else a prompt (or stdin lines)`,
  async run(argv, io) {
    refusePinInArgv(argv);
    const { values } = parseArgs({
      args: [...argv],
      options: {
        bundle: { type: 'string' },
        trust: { type: 'string', multiple: true, default: [] },
        db: { type: 'string' },
        data: { type: 'string' },
        operator: { type: 'string' },
        supervisor: { type: 'string' },
        sim: { type: 'string' },
        scenario: { type: 'string' },
        'sim-state': { type: 'string' },
        tcp: { type: 'string', multiple: true, default: [] },
        serial: { type: 'string', multiple: true, default: [] },
        expect: { type: 'string' },
        parallel: { type: 'string', default: '4' },
        cap: { type: 'string' },
        json: { type: 'boolean', default: false },
        'new-batch': { type: 'boolean', default: false },
        'tag-pattern': { type: 'string', default: DEFAULT_TAG_PATTERN },
      },
      strict: true,
    });
    if (values.sim !== undefined && values.scenario !== undefined) throw new CliError('--sim and --scenario both describe the fleet; give one of them', EXIT_USAGE);
    const demo = values.bundle === undefined;
    if (demo && values.sim === undefined && values.scenario === undefined) {
      throw new CliError('name the bundle to flash with --bundle, or run the demo with --sim N (no --bundle)', EXIT_USAGE);
    }
    const parallel = wholeNumber('--parallel', values.parallel, 1, 64);
    const tagPattern = parseTagPattern(values['tag-pattern']);
    if ('problem' in tagPattern) throw new CliError(`--tag-pattern: ${tagPattern.problem}`, EXIT_USAGE);
    const dataDir = resolve(values.data ?? defaultDataDir());
    const scenario = await readScenario(values.sim, values.scenario);
    const expected = values.expect !== undefined ? wholeNumber('--expect', values.expect, 1, 100_000) : (scenario?.devices.length ?? null);
    const cap = values.cap !== undefined ? wholeNumber('--cap', values.cap, 1, 100_000) : (expected ?? 100);
    const settings = await setupAsync(() => loadSettings(dataDir));
    const endpoints = [...settings.tcpEndpoints, ...values.tcp].flatMap((text) => {
      const parsed = parseTcpEndpoints(text);
      if ('problem' in parsed) throw new CliError(`--tcp ${parsed.problem}`, EXIT_USAGE);
      return parsed;
    });

    const dbPath = values.db ?? (demo ? join(await mkdtemp(join(tmpdir(), 'lockstep-demo-')), 'records.sqlite') : undefined);
    if (dbPath === undefined) throw new CliError('name the records database with --db FILE', EXIT_USAGE);
    if (!demo && !existsSync(dbPath)) throw new CliError(`there is no records database at ${displaySafe(dbPath)}; create it with lockstep operators add`, EXIT_SETUP);
    const records = setup(() => openStationRecords({ database: resolve(dbPath) }));
    let fleet: SimFleet | null = null;
    let registry: HandsetRegistry | null = null;
    let started: StartedBatch | null = null;
    try {
      if (demo) {
        ensureDemoOperators(records);
        io.err(`DEMO MODE: demo bundle, demo operators, demo database ${displaySafe(records.databasePath)} — not for production\n`);
      }
      const operator = demo ? DEMO_OPERATOR : { id: required(values.operator, '--operator'), pin: await pin('LOCKSTEP_OPERATOR_PIN', 'Operator PIN: ') };
      const supervisor = demo ? DEMO_SUPERVISOR : { id: required(values.supervisor, '--supervisor'), pin: await pin('LOCKSTEP_SUPERVISOR_PIN', 'Supervisor PIN: ') };
      const bundlePath = demo ? await ensureDemoBundle(dataDir) : resolve(values.bundle as string);
      if (scenario) {
        const stateDir = values['sim-state'] ?? (await mkdtemp(join(tmpdir(), 'lockstep-sim-')));
        // The demo runs at demo speed; a named scenario keeps the timing it describes.
        const timing = demo ? accelerate({ ...DEFAULT_TIMING, ...scenario.timing }, DEMO_SPEEDUP) : {};
        fleet = await createSimFleet({ scenario, stateDir: resolve(stateDir), timing });
        registry = new HandsetRegistry([new UsbBackend(fleet.usb, 'Simulated USB'), new SimSerialBackend(fleet.serial)]);
      } else {
        registry = new HandsetRegistry([
          new UsbBackend(openSystemUsbBus()),
          new SerialBackend({ paths: [...settings.serialPorts, ...values.serial.map((path) => resolve(path))], listSystemPorts: true }),
          ...(endpoints.length > 0 ? [new TcpBackend(endpoints)] : []),
        ]);
      }
      await registry.start();
      for (const status of registry.statuses()) io.err(`${status.transport}: ${status.detail}\n`);
      started = await setupAsync(() =>
        startProvisioning({
          records,
          registry: registry as HandsetRegistry,
          bundlePath,
          trustDirs: values.trust,
          demo,
          operator,
          supervisor,
          deviceCap: cap,
          parallel,
          continueBatch: !values['new-batch'],
          assetTagPattern: tagPattern.text,
          slotNames: settings.slotNames,
        }),
      );
      const { info } = started;
      io.err(`${started.continued ? 'Continuing' : 'Started'} batch ${info.id} (${displaySafe(info.name)}): bundle ${info.bundleVersion}, fuses ${info.fuses.join(', ') || 'none'}, ${info.lockBootloader ? 'locks the bootloader' : 'leaves the bootloader unlocked'}\n`);
      const json = values.json || !io.isTty;
      if (json) io.out(`${batchLine(info, started.continued, new Date())}\n`);
      const final = await follow(started, io, json, expected);
      // Machine-read output stays one JSON event per line and the count line; people also get a line per handset.
      const tagOf = (seq: number): string | null => {
        const record = records.log.get(seq);
        return record && 'assetTag' in record ? record.assetTag : null;
      };
      io.out(summary(final, json ? null : tagOf));
      io.err(`Records: lockstep records list --db ${displaySafe(records.databasePath)}\n`);
      return final.handsets.length > 0 && final.handsets.every((handset) => handset.phase === 'provisioned') ? 0 : 1;
    } finally {
      await started?.batch.stop();
      await registry?.stop();
      await fleet?.close();
      records.close();
    }
  },
};

/** Renders the live state until `expected` handsets have an outcome, or the operator presses Ctrl-C. */
async function follow(started: StartedBatch, io: CliIo, json: boolean, expected: number | null): Promise<PipelineSnapshot> {
  const table = json ? null : new LiveTable(io);
  const previous = new Map<string, string>();
  return new Promise<PipelineSnapshot>((done) => {
    let waitingSince = new Map<string, number>();
    const stop = (snapshot: PipelineSnapshot): void => {
      unsubscribe();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      table?.finish(snapshot);
      done(snapshot);
    };
    const onSignal = (): void => stop(started.batch.snapshot);
    const unsubscribe = started.batch.subscribe((snapshot) => {
      if (table) table.render(snapshot);
      else for (const line of eventLines(snapshot, previous)) io.out(`${line}\n`);
      if (expected !== null && allDone(snapshot, expected, waitingSince)) queueMicrotask(() => stop(snapshot));
      waitingSince = new Map([...waitingSince].filter(([slot]) => snapshot.handsets.some((h) => h.slot === slot && h.phase === 'waiting-for-handset')));
    });
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** The expected handsets each have an outcome, or have stayed unplugged past the grace period. */
function allDone(snapshot: PipelineSnapshot, expected: number, waitingSince: Map<string, number>): boolean {
  if (snapshot.handsets.length < expected) return false;
  const now = Date.now();
  return snapshot.handsets.every((handset) => {
    if (handset.phase === 'provisioned' || handset.phase === 'failed' || handset.phase === 'aborted') return true;
    if (handset.phase !== 'waiting-for-handset' || handset.step === 'reboot') return false;
    const since = waitingSince.get(handset.slot) ?? now;
    waitingSince.set(handset.slot, since);
    return now - since > REPLUG_GRACE_MS;
  });
}

/** The counts, after (for people, when `tagOf` is given) one line per handset: its asset tag, or why it stopped and what to do. */
function summary(snapshot: PipelineSnapshot, tagOf: ((recordSeq: number) => string | null) | null): string {
  const lines = (tagOf === null ? [] : snapshot.handsets).map((handset) => {
    const who = `${handset.slotName ?? handset.slot} ${handset.serial === null ? '(no serial)' : displaySafe(handset.serial, 64)}`;
    if (handset.phase === 'provisioned') return `  ${who}: provisioned, asset tag ${(handset.recordSeq === null ? null : tagOf?.(handset.recordSeq)) ?? '(none)'}`;
    return `  ${who}: ${handset.phase}${handset.reason ? ` [${handset.reason.code}] ${handset.reason.message} → ${handset.reason.action}` : ''}`;
  });
  const { counters } = snapshot;
  return `${[...lines, `Provisioned ${counters.provisioned} of ${counters.attached} handset(s); ${counters.failed} failed.`].join('\n')}\n`;
}

async function readScenario(sim: string | undefined, scenarioPath: string | undefined) {
  try {
    if (scenarioPath !== undefined) return await loadScenario(scenarioPath);
    if (sim !== undefined) return defaultScenario(wholeNumber('--sim', sim, 1, 64));
    return null;
  } catch (error) {
    if (error instanceof ScenarioError) throw new CliError(error.message, EXIT_SETUP);
    throw error;
  }
}

async function pin(variable: string, prompt: string): Promise<string> {
  const fromEnv = process.env[variable];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return createPinSource().read(prompt);
}

function required(value: string | undefined, option: string): string {
  if (value === undefined) throw new CliError(`${option} is required outside demo mode`, EXIT_USAGE);
  return value;
}

function wholeNumber(option: string, text: string, min: number, max: number): number {
  if (!/^\d{1,6}$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new CliError(`${option} takes a whole number from ${min} to ${max}, not '${displaySafe(text, 20)}'`, EXIT_USAGE);
  }
  return Number(text);
}

/** Set-up failures (bundle, profiles, operators, authorisation) exit 2: the batch never started. */
function setup<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw asSetupError(error);
  }
}

async function setupAsync<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw asSetupError(error);
  }
}

function asSetupError(error: unknown): unknown {
  if (error instanceof BundleError) return new CliError(`[${error.code}]: ${describeFailure(error)}`, EXIT_SETUP);
  if (error instanceof RecordsError || error instanceof ProfileError || error instanceof SettingsError || error instanceof KeyFileError) return new CliError(describeFailure(error), EXIT_SETUP);
  return error;
}

