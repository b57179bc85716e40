import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { DepotSyncState } from '../../../shared/depot.ts';
import type { HandsetSnapshot, PipelineSnapshot } from '../../../shared/pipeline.ts';
import { parseTagPattern } from '../../../shared/asset-tag.ts';
import { displaySafe } from '../../../shared/untrusted.ts';
import { defaultScenario, loadScenario, ScenarioError } from '../../../sim/index.ts';
import { BundleError } from '../../bundle/errors.ts';
import { startDepotLink, wakeOnOutcomes, type DepotLink } from '../../depot/depot-link.ts';
import { KeyFileError } from '../../bundle/keys.ts';
import { ProfileError } from '../../profiles/profile-store.ts';
import { RecordsError } from '../../records/errors.ts';
import { openStationRecords } from '../../records/station-records.ts';
import { defaultDataDir } from '../../station/data-dir.ts';
import { openHandsetSources, parseEndpointList, type HandsetSources } from '../../station/handset-sources.ts';
import { loadSettings, SettingsError } from '../../station/settings.ts';
import { ensureDemoBundle, ensureDemoOperators, DEMO_OPERATOR, DEMO_SUPERVISOR } from '../../station/demo-station.ts';
import { startProvisioning, type StartedBatch } from '../../station/provisioning.ts';
import type { CliCommand } from '../command.ts';
import { CliError, EXIT_USAGE, failureText, jsonLine, type CliIo } from '../io.ts';
import { exitCodeOf, followBatch, summarise, type RunCounts } from '../batch-follow.ts';
import { createPinSource, refusePinInArgv } from '../pin-prompt.ts';
import { LiveTable, quarantineWords } from '../live-table.ts';
import { batchLine, eventLines } from '../provision-events.ts';
import { describeDepotState } from '../depot-state.ts';

/** Asset tags when the depot names no pattern: the station's own prefix, the year, a six-digit sequence. */
const DEFAULT_TAG_PATTERN = 'LS-{yyyy}-{seq:06}';

/** Bundle, authorisation and usage errors: nothing was provisioned because the batch never started. */
const EXIT_SETUP = 2;
/** How long an expected handset may stay unplugged before the run stops waiting for it, by default. */
const DEFAULT_GRACE_SECONDS = 60;

export const provisionCommand: CliCommand = {
  usage: `lockstep provision --bundle B [--trust DIR]... --db FILE --operator ID --supervisor ID [source] [--parallel N] [--json]
  lockstep provision --sim N                     one-line demo: demo bundle, demo operators, demo database
  sources: --sim N | --scenario FILE [--sim-state DIR]   a simulated fleet in this process
           (default) the handsets on this station's USB bus and serial ports, plus
           --tcp HOST:PORT[-LAST]...  fastboot TCP endpoints (a network bootloader, a lockstep sim --tcp fleet)
           --serial PATH...           AT port paths, or folders of them, that no port listing shows (lockstep sim --pty DIR)
           endpoints, port paths and slot names can also live in DATA/station-settings.json (docs/pipeline.md)
  --expect N     stop once N handsets have an outcome (default: the simulated fleet's size; otherwise run until Ctrl-C)
  --grace S      seconds an expected handset may stay unplugged before the run stops waiting for it (default ${DEFAULT_GRACE_SECONDS})
  --parallel N   handsets flashed at once (default 4)
  --cap N        the most handsets the supervisor's authorisation covers (default: the fleet size, else 100)
  --new-batch    open a new batch even if this database has one for the same bundle (default: continue it)
  --tag-pattern P  asset tags of a new batch, e.g. DEPOT7-{yyyy}-{seq:06} (default ${DEFAULT_TAG_PATTERN}; {yyyy} {yy} {mm} {dd} {seq:N})
  --json         standard output carries only JSON lines: the batch, each change, then the summary (also when not a terminal)
  Exit 0 every handset met was provisioned, 1 any failed or unfinished (aborted, left unplugged), 2 set-up refused, 64 usage  PINs come from LOCKSTEP_OPERATOR_PIN / LOCKSTEP_SUPERVISOR_PIN, else a prompt (or stdin lines)`,
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
        grace: { type: 'string' },
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
    const graceMs = wholeNumber('--grace', values.grace ?? String(DEFAULT_GRACE_SECONDS), 0, 86_400) * 1000;
    const settings = await setupAsync(() => loadSettings(dataDir));
    const commandLine = parseEndpointList(values.tcp);
    if (commandLine.problems.length > 0) throw new CliError(`--tcp ${commandLine.problems.map(({ problem }) => problem).join('; ')}`, EXIT_USAGE);

    const dbPath = values.db ?? (demo ? join(await mkdtemp(join(tmpdir(), 'lockstep-demo-')), 'records.sqlite') : undefined);
    if (dbPath === undefined) throw new CliError('name the records database with --db FILE', EXIT_USAGE);
    if (!demo && !existsSync(dbPath)) throw new CliError(`there is no records database at ${displaySafe(dbPath)}; create it with lockstep operators add`, EXIT_SETUP);
    const records = setup(() => openStationRecords({ database: resolve(dbPath) }));
    let sources: HandsetSources | null = null;
    let started: StartedBatch | null = null;
    let depot: DepotLink | null = null;
    // Ctrl-C once the batch runs ends it in order: its handsets journaled, a summary printed.
    const interrupted = new AbortController();
    const onSignal = (): void => interrupted.abort();
    try {
      if (demo) {
        ensureDemoOperators(records);
        io.err(`DEMO MODE: demo bundle, demo operators, demo database ${displaySafe(records.databasePath)} — not for production\n`);
      }
      const operator = demo ? DEMO_OPERATOR : { id: required(values.operator, '--operator'), pin: await pin('LOCKSTEP_OPERATOR_PIN', 'Operator PIN: ') };
      const supervisor = demo ? DEMO_SUPERVISOR : { id: required(values.supervisor, '--supervisor'), pin: await pin('LOCKSTEP_SUPERVISOR_PIN', 'Supervisor PIN: ') };
      const bundlePath = demo ? await ensureDemoBundle(dataDir) : resolve(values.bundle as string);
      // The demo runs at demo speed; a named scenario keeps the timing it describes.
      sources = scenario
        ? await openHandsetSources({ kind: 'simulated', scenario, stateDir: resolve(values['sim-state'] ?? (await mkdtemp(join(tmpdir(), 'lockstep-sim-')))), demoTiming: demo })
        : await openHandsetSources({ kind: 'hardware', settings, tcpSlots: commandLine.slots, serialPorts: values.serial.map((path) => resolve(path)) });
      for (const status of sources.statuses()) io.err(`${status.transport}: ${status.detail}\n`);
      const registry = sources.registry;
      started = await setupAsync(() =>
        startProvisioning({
          records,
          registry,
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
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const { info } = started;
      io.err(`${started.continued ? 'Continuing' : 'Started'} batch ${info.id} (${displaySafe(info.name)}): bundle ${info.bundleVersion}, fuses ${info.fuses.join(', ') || 'none'}, ${info.lockBootloader ? 'locks the bootloader' : 'leaves the bootloader unlocked'}\n`);
      const json = values.json || !io.isTty;
      if (json) io.out(`${batchLine(info, started.continued, new Date())}\n`);
      // A station in a depot pushes its journal while the batch runs; the batch never waits for it.
      let depotWords: string | null = null;
      let reporting = true;
      depot = await startDepotLink(records.databasePath, (state) => {
        const words = `depot: ${describeDepotState(state)}`;
        if (words === depotWords || !reporting) return;
        depotWords = words;
        // On a terminal the live table shows it; a line of its own would break the table's redrawing.
        if (!json) return;
        io.err(`${words}\n`);
        io.out(jsonLine({ at: new Date().toISOString(), depot: state }));
      });
      const link = depot;
      const { handsets } = await follow(started, io, json, expected, graceMs, interrupted.signal, {
        note: () => depotWords,
        onSnapshot: link ? wakeOnOutcomes(link.wake) : () => undefined,
      });
      // The summary is the last JSON line: the depot's last word comes with it on standard error.
      reporting = false;
      const summary = summarise(handsets);
      const tagOf = (handset: HandsetSnapshot): string | null => {
        if (handset.recordSeq === null) return null;
        const record = records.log.get(handset.recordSeq);
        return record && 'assetTag' in record ? record.assetTag : null;
      };
      // Standard output stays JSON lines for programs: the summary is the last of them; people read it on standard error.
      if (json) io.out(jsonLine({ at: new Date().toISOString(), summary: { ...summary, outcomes: handsets.map((handset) => outcome(handset, tagOf(handset))) } }));
      else io.out(handsetLines(handsets, tagOf));
      (json ? io.err : io.out)(`${countLine(summary)}\n`);
      io.err(`Records: lockstep records list --db ${displaySafe(records.databasePath)}\n`);
      if (depot) {
        // The pass under way ends first (the run waits for it on its way out in any case), so the last word is the final state.
        await depot.stop();
        io.err(depotFarewell(depot.state(), records.databasePath));
      }
      return exitCodeOf(summary);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await started?.batch.stop();
      await depot?.stop();
      await sources?.close();
      records.close();
    }
  },
};

/** Renders the live state until `expected` handsets are done, or `stop` is signalled (Ctrl-C); returns every handset met. */
async function follow(
  started: StartedBatch,
  io: CliIo,
  json: boolean,
  expected: number | null,
  graceMs: number,
  stop: AbortSignal,
  station: { readonly note: () => string | null; readonly onSnapshot: (snapshot: PipelineSnapshot) => void },
) {
  const table = json ? null : new LiveTable(io, station.note);
  const previous = new Map<string, string>();
  const result = await followBatch(started.batch, {
    expected,
    graceMs,
    signal: stop,
    onSnapshot: (snapshot: PipelineSnapshot) => {
      station.onSnapshot(snapshot);
      if (table) table.render(snapshot);
      else for (const line of eventLines(snapshot, previous)) io.out(`${line}\n`);
    },
  });
  table?.finish(result.snapshot);
  return result;
}

/** The depot link's state as the run ends: what did not reach the depot goes with the next sync. */
function depotFarewell(state: DepotSyncState, databasePath: string): string {
  const left = state.kind === 'connected' && state.backlog === 0 ? '' : `; what the depot does not hold yet goes with the next sync (lockstep depot sync --db ${displaySafe(databasePath)})`;
  return `depot: ${describeDepotState(state)}${left}\n`;
}

/** One handset's outcome in the JSON summary. */
function outcome(handset: HandsetSnapshot, assetTag: string | null) {
  const { slot, slotName, serial, phase, step, reason, quarantine, recordSeq } = handset;
  return { slot, slotName, serial, phase, step, reason, quarantine, recordSeq, assetTag };
}

/** For people: one line per handset met, its asset tag, or why it stopped and what to do. */
function handsetLines(handsets: readonly HandsetSnapshot[], tagOf: (handset: HandsetSnapshot) => string | null): string {
  return handsets
    .map((handset) => {
      const who = `${handset.slotName ?? handset.slot} ${handset.serial === null ? '(no serial)' : displaySafe(handset.serial, 64)}`;
      if (handset.phase === 'provisioned') return `  ${who}: provisioned, asset tag ${tagOf(handset) ?? '(none)'}\n`;
      if (handset.quarantine) return `  ${who}: ${quarantineWords(handset.quarantine)}\n`;
      const unfinished = handset.phase === 'failed' ? '' : ' (not provisioned: plug it in again and run the batch again to finish it)';
      return `  ${who}: ${handset.phase}${handset.reason ? ` [${handset.reason.code}] ${handset.reason.message} → ${handset.reason.action}` : ''}${unfinished}\n`;
    })
    .join('');
}

function countLine(summary: RunCounts): string {
  const unfinished = summary.unfinished > 0 ? `; ${summary.unfinished} not finished (aborted or unplugged)` : '';
  return `Provisioned ${summary.provisioned} of ${summary.handsets} handset(s); ${summary.failed} failed${unfinished}.`;
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
  const setup = [BundleError, KeyFileError, RecordsError, ProfileError, SettingsError].some((kind) => error instanceof kind);
  return setup ? new CliError(failureText(error), EXIT_SETUP) : error;
}

