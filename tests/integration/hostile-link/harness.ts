// The hostile-link apparatus: a real `lockstep sim` process (handsets on TCP, AT ports on ttys), a
// fault-injecting proxy in front of each handset (tests/support/fastboot-proxy.ts), and the station,
// either in this process (startProvisioning with a TcpBackend, so its profiles can have short
// timeouts) or as `lockstep provision` in its own process (so it can be SIGKILLed). The proof of what
// happened is the handsets' own command logs and the station's records, never the station's say-so.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { createBundle } from '../../../src/main/bundle/create.ts';
import { generateDemoBundle } from '../../../src/main/bundle/demo.ts';
import { generateSigningKeyPair, parseKeyPem } from '../../../src/main/bundle/keys.ts';
import { imagePathFor } from '../../../src/main/bundle/layout.ts';
import { HandsetRegistry } from '../../../src/main/discovery/registry.ts';
import { SerialBackend } from '../../../src/main/discovery/serial-backend.ts';
import { TcpBackend } from '../../../src/main/discovery/tcp-backend.ts';
import { openStationRecords, type StationRecords } from '../../../src/main/records/station-records.ts';
import { startProvisioning, type StartedBatch } from '../../../src/main/station/provisioning.ts';
import { parseTcpEndpoints } from '../../../src/main/station/settings.ts';
import type { HandsetSnapshot, PipelineSnapshot } from '../../../src/shared/pipeline.ts';
import type { DeviceProfile } from '../../../src/shared/profile.ts';
import type { ProvisioningRecord } from '../../../src/shared/records.ts';
import { handsetDirectoryName } from '../../../src/sim/handset-state.ts';
import { readCommandLog } from '../../../src/sim/index.ts';
import { addDepotOperators, SUPERVISOR, TECHNICIAN } from '../../depot-operators.ts';
import { bitsBurnedTwice, bySerial, OUTCOMES, parseFuseBurn, untilSnapshot, writeProfilesWithTimeouts } from '../pipeline/fixture.ts';

const BIN = resolve(import.meta.dirname, '../../../bin/lockstep.js');

export type ProfileId = 'lockstep-ref' | 'kestrel-k2';

/** What a test needs to know of each profile's dialect to set rules and read logs. */
export interface Dialect {
  readonly model: ProfileId;
  /** The fuse read of the policy's word, as the station sends it. */
  readonly fuseRead: string;
  readonly fuseProgram: string;
  readonly lock: string;
  /** The lock-state variable as a command, and its answers. */
  readonly lockQuery: string;
  readonly lockedAnswer: string;
  readonly unlockedAnswer: string;
  /** The policy's bits (CAMERA_DISABLE, GPS_DISABLE) in their fuse word, and that word as it leaves the factory. */
  readonly policyMask: number;
  readonly factoryWord: number;
  readonly word: { readonly bank: number; readonly word: number };
  /** The INFO of a fuse read of the policy's word reporting `value`. */
  fuseReadInfo(value: number): string;
}

const hex8 = (value: number): string => `0x${(value >>> 0).toString(16).padStart(8, '0')}`;

export const DIALECTS: Record<ProfileId, Dialect> = {
  'lockstep-ref': {
    model: 'lockstep-ref',
    fuseRead: 'oem fuse read 3 0',
    fuseProgram: 'oem fuse prog',
    lock: 'flashing lock',
    lockQuery: 'getvar:unlocked',
    lockedAnswer: 'OKAYno',
    unlockedAnswer: 'OKAYyes',
    policyMask: 0x30,
    factoryWord: 0x1,
    word: { bank: 3, word: 0 },
    fuseReadInfo: (value) => `INFO${hex8(value)}`,
  },
  'kestrel-k2': {
    model: 'kestrel-k2',
    fuseRead: 'oem efuse read b1w2',
    fuseProgram: 'oem efuse blow',
    lock: 'oem lock',
    lockQuery: 'getvar:device-state',
    lockedAnswer: 'OKAYlocked',
    unlockedAnswer: 'OKAYunlocked',
    policyMask: (1 << 9) | (1 << 12),
    factoryWord: 0,
    word: { bank: 1, word: 2 },
    fuseReadInfo: (value) => `INFOb1w2=${hex8(value)}`,
  },
};

export const POLICY_FUSES = ['CAMERA_DISABLE', 'GPS_DISABLE'];

/** Fast simulated time: unthrottled link and flash, a short reboot. */
export const FAST_TIMING = { linkBytesPerSecond: 0, flashBytesPerSecond: 0, rebootMs: 300 };

/** Profile timeouts for the in-process station: generous for a loaded 2-core machine, short enough that a hang costs seconds. */
export const TEST_TIMEOUTS: DeviceProfile['timeouts'] = { commandMs: 8_000, hashMs: 8_000, rebootMs: 8_000, atCommandMs: 6_000 };

export interface Bundles {
  readonly trustDir: string;
  readonly bundle: Record<ProfileId, string>;
}

/**
 * A bundle for the profile with small images (128 KiB boot, 1 MiB sparse system), burning
 * CAMERA_DISABLE and GPS_DISABLE and locking, written under `dir`; `tag` ends its version.
 */
export async function smallBundle(dir: string, model: ProfileId, options: { signingKey: KeyObject; tag: string; demo: boolean }): Promise<string> {
  const kestrel = model === 'kestrel-k2';
  const version = `${kestrel ? '2.4.0' : '1.0.0'}-${options.tag}`;
  const images = join(dir, 'images');
  await generateDemoBundle({ out: images, product: model, version, bootImageBytes: 128 * 1024, systemImageBytes: 1024 * 1024 });
  const out = join(dir, 'bundle');
  await createBundle({
    products: [model],
    hardwareRevisions: kestrel ? ['R3'] : ['B1', 'B2'],
    version,
    minBootloaderVersion: kestrel ? 'KBL-2.0.0' : 'LSBL-1.0.0',
    rollbackIndex: 1,
    partitions: [
      { name: 'boot', path: join(images, imagePathFor('boot')), bootSlot: 'active' },
      { name: 'system', path: join(images, imagePathFor('system')), sparse: true, bootSlot: 'active' },
    ],
    fuses: POLICY_FUSES,
    lockBootloader: true,
    signingKeys: [options.signingKey],
    out,
    demo: options.demo,
  });
  return out;
}

/**
 * A small bundle per profile (128 KiB boot, 1 MiB sparse system), both burning CAMERA_DISABLE and
 * GPS_DISABLE and locking, signed by a depot key the station is told to trust (outside demo mode,
 * so the CLI and the in-process station take the same bundles).
 */
export async function makeBundles(dir: string): Promise<Bundles> {
  const keys = generateSigningKeyPair();
  const trustDir = join(dir, 'trusted');
  mkdirSync(trustDir, { recursive: true });
  writeFileSync(join(trustDir, 'depot.pem'), keys.publicKeyPem);
  const signingKey = parseKeyPem(keys.privateKeyPem, 'test key').key;
  const make = (model: ProfileId): Promise<string> => smallBundle(join(dir, model), model, { signingKey, tag: 'hostile', demo: false });
  return { trustDir, bundle: { 'lockstep-ref': await make('lockstep-ref'), 'kestrel-k2': await make('kestrel-k2') } };
}

/** A records database with the depot's operators, made once (their PINs cost a scrypt each) and copied per test. */
export function stationDbTemplate(dir: string): (name: string) => string {
  const template = join(dir, 'db-template');
  const records = openStationRecords({ database: join(template, 'records.sqlite') });
  try {
    addDepotOperators(records);
  } finally {
    records.close();
  }
  return (name) => {
    cpSync(template, join(dir, name), { recursive: true });
    return join(dir, name, 'records.sqlite');
  };
}

export interface SimProcess {
  /** The fastboot TCP port of each handset, in scenario order. */
  readonly ports: readonly number[];
  readonly stateDir: string;
  /** The tty link of a handset's AT port (present while it runs its OS). */
  atPath(serial: string): string;
  /** The handset's fastboot commands, oldest first, from its own command log. */
  fastboot(serial: string): Promise<string[]>;
  /** Resolves once the simulator printed a line satisfying `test`. */
  printed(test: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

/** `lockstep sim --scenario … --tcp 0 --pty DIR --state DIR` in its own process, as an operator runs it. */
export async function startSim(dir: string, devices: readonly object[], timing: object = FAST_TIMING): Promise<SimProcess> {
  mkdirSync(dir, { recursive: true });
  const scenario = join(dir, 'scenario.json');
  writeFileSync(scenario, JSON.stringify({ timing, devices }));
  const stateDir = join(dir, 'state');
  const ptyDir = join(dir, 'pty');
  const child = spawn(process.execPath, [BIN, 'sim', '--scenario', scenario, '--tcp', '0', '--pty', ptyDir, '--state', stateDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const watchers = new Set<() => void>();
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    lines.push(line);
    for (const watcher of [...watchers]) watcher();
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const printed = (test: (line: string) => boolean, timeoutMs = 60_000): Promise<string> =>
    new Promise((resolvePrinted, reject) => {
      const check = (): boolean => {
        const found = lines.find(test);
        if (found === undefined) return false;
        watchers.delete(watcher);
        clearTimeout(timer);
        resolvePrinted(found);
        return true;
      };
      const watcher = (): void => void check();
      const timer = setTimeout(() => {
        watchers.delete(watcher);
        reject(new Error(`lockstep sim did not print the line awaited in ${timeoutMs} ms:\n${lines.join('\n')}\n${stderr}`));
      }, timeoutMs);
      if (!check()) watchers.add(watcher);
    });
  await Promise.race([
    printed((line) => line.startsWith('Serving ')),
    exited.then(() => {
      throw new Error(`lockstep sim exited:\n${lines.join('\n')}\n${stderr}`);
    }),
  ]);
  const ports = lines.flatMap((line) => {
    const port = /\ttcp:127\.0\.0\.1:(\d+)$/.exec(line)?.[1];
    return port === undefined ? [] : [Number(port)];
  });
  return {
    ports,
    stateDir,
    atPath: (serial) => join(ptyDir, handsetDirectoryName(serial)),
    fastboot: async (serial) => (await readCommandLog(stateDir, serial)).filter((entry) => entry.channel === 'fastboot').map((entry) => entry.command),
    printed,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

export interface InProcessStation {
  readonly started: StartedBatch;
  readonly records: StationRecords;
  /** Resolves with the first snapshot satisfying `done`; rejects after `timeoutMs` saying where each handset stands. */
  until(done: (snapshot: PipelineSnapshot) => boolean, what: string, timeoutMs?: number): Promise<PipelineSnapshot>;
  /** Until the handset with this serial has an outcome (provisioned, failed, aborted); its snapshot then. */
  outcome(serial: string, timeoutMs?: number): Promise<HandsetSnapshot>;
  /** The station's records of this serial, oldest first. */
  recordsOf(serial: string): ProvisioningRecord[];
  close(): Promise<void>;
}

export interface StationOptions {
  readonly dir: string;
  readonly db: string;
  readonly bundle: string;
  readonly trustDir: string;
  /** Fastboot endpoints (`127.0.0.1:PORT`), one slot each. */
  readonly tcp: readonly string[];
  /** AT port paths (or folders of them). */
  readonly serial: readonly string[];
  readonly parallel?: number;
  readonly timeouts?: DeviceProfile['timeouts'];
}

/** The station in this process, started as `lockstep provision --tcp … --serial …` starts it, but with short profile timeouts. */
export async function startStation(options: StationOptions): Promise<InProcessStation> {
  const profilesDir = await writeProfilesWithTimeouts(join(options.dir, 'profiles'), options.timeouts ?? TEST_TIMEOUTS);
  const records = openStationRecords({ database: options.db });
  const slots = options.tcp.flatMap((text) => {
    const parsed = parseTcpEndpoints(text);
    if ('problem' in parsed) throw new Error(parsed.problem);
    return parsed;
  });
  const registry = new HandsetRegistry([new TcpBackend(slots), new SerialBackend({ paths: options.serial, listSystemPorts: false })]);
  let started: StartedBatch;
  try {
    await registry.start();
    started = await startProvisioning({
      records,
      registry,
      bundlePath: options.bundle,
      trustDirs: [options.trustDir],
      demo: false,
      operator: TECHNICIAN,
      supervisor: SUPERVISOR,
      deviceCap: 100,
      parallel: options.parallel ?? 4,
      assetTagPattern: null,
      continueBatch: true,
      stationProfilesDir: profilesDir,
    });
  } catch (error) {
    await registry.stop();
    records.close();
    throw error;
  }
  const batch = started.batch;
  const until = (done: (snapshot: PipelineSnapshot) => boolean, what: string, timeoutMs = 60_000): Promise<PipelineSnapshot> =>
    untilSnapshot(batch, done, what, timeoutMs);
  return {
    started,
    records,
    until,
    async outcome(serial, timeoutMs) {
      const snapshot = await until((current) => OUTCOMES.includes(bySerial(current, serial)?.phase ?? ''), `an outcome for ${serial}`, timeoutMs);
      return bySerial(snapshot, serial) as HandsetSnapshot;
    },
    recordsOf: (serial) => records.log.latest({}, 10_000).filter((record) => record.serial === serial),
    async close() {
      await batch.stop();
      await registry.stop();
      records.close();
    },
  };
}



export interface ProvisionEvent {
  readonly serial: string | null;
  readonly slot: string;
  readonly phase: string;
  readonly step: string | null;
  readonly reason?: { readonly code: string } | null;
}

export interface ProvisionRun {
  readonly child: ChildProcess;
  readonly events: ProvisionEvent[];
  /** Resolves once an event satisfies `test` (earlier ones included). */
  event(test: (event: ProvisionEvent) => boolean, timeoutMs?: number): Promise<ProvisionEvent>;
  readonly done: Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

export interface ProvisionCliOptions {
  readonly dataDir: string;
  readonly db: string;
  readonly bundle: string;
  readonly trustDir: string;
  readonly tcp: readonly string[];
  readonly serial: readonly string[];
  readonly expect: number;
  readonly parallel?: number;
}

/** `lockstep provision … --json` in its own process, its JSON events collected as they come. */
export function provisionCli(options: ProvisionCliOptions): ProvisionRun {
  const args = [
    'provision',
    '--bundle',
    options.bundle,
    '--trust',
    options.trustDir,
    '--db',
    options.db,
    '--operator',
    TECHNICIAN.id,
    '--supervisor',
    SUPERVISOR.id,
    ...options.tcp.flatMap((endpoint) => ['--tcp', endpoint]),
    ...options.serial.flatMap((path) => ['--serial', path]),
    '--expect',
    String(options.expect),
    '--parallel',
    String(options.parallel ?? 4),
    '--json',
  ];
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOCKSTEP_DATA_DIR: options.dataDir, LOCKSTEP_OPERATOR_PIN: TECHNICIAN.pin, LOCKSTEP_SUPERVISOR_PIN: SUPERVISOR.pin },
  });
  const events: ProvisionEvent[] = [];
  const watchers = new Set<() => void>();
  let stdout = '';
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    stdout += `${line}\n`;
    if (!line.startsWith('{"at"') || line.includes('"batch":')) return;
    events.push(JSON.parse(line) as ProvisionEvent);
    for (const watcher of [...watchers]) watcher();
  });
  const done = new Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((settle, fail) => {
    child.once('error', fail);
    child.once('close', (status, signal) => settle({ status, signal, stdout, stderr }));
  });
  const event = (test: (event: ProvisionEvent) => boolean, timeoutMs = 60_000): Promise<ProvisionEvent> =>
    new Promise((resolveEvent, reject) => {
      const check = (): boolean => {
        const found = events.find(test);
        if (!found) return false;
        clearTimeout(timer);
        watchers.delete(watcher);
        resolveEvent(found);
        return true;
      };
      const watcher = (): void => void check();
      const timer = setTimeout(() => {
        watchers.delete(watcher);
        reject(new Error(`lockstep provision gave no such event in ${timeoutMs} ms; last: ${JSON.stringify(events.slice(-4))}\n${stderr}`));
      }, timeoutMs);
      void done.then(() => {
        if (check()) return;
        clearTimeout(timer);
        watchers.delete(watcher);
        reject(new Error(`lockstep provision ended without such an event; last: ${JSON.stringify(events.slice(-4))}\n${stderr}`));
      });
      if (!check()) watchers.add(watcher);
    });
  return { child, events, event, done };
}

/** The records of a station database, read after its station process ended. */
export function recordsIn(db: string, serial: string): ProvisioningRecord[] {
  const records = openStationRecords({ database: db });
  try {
    return records.log.latest({}, 10_000).filter((record) => record.serial === serial);
  } finally {
    records.close();
  }
}

/** A failed record's failure code (record format 3 carries it as a field). */
export function failureCode(record: ProvisioningRecord | undefined): string | null {
  return record && 'failureCode' in record ? record.failureCode : null;
}

/** Every fuse bit the log shows programmed, over all burns of the policy's word. */
export function programmedBits(commands: readonly string[], dialect: Dialect): number {
  let bits = 0;
  for (const burn of commands.map(parseFuseBurn)) if (burn && burn.bank === dialect.word.bank && burn.word === dialect.word.word) bits |= burn.mask;
  return bits >>> 0;
}

export function count(commands: readonly string[], prefix: string): number {
  return commands.filter((command) => command.startsWith(prefix)).length;
}

/**
 * The station's promises, checked against a handset's own log: no fuse bit programmed twice, at most
 * one lock command, and a record that claims no more and no less than the log shows was done.
 */
export function checkTrueToLog(commands: readonly string[], records: readonly ProvisioningRecord[], dialect: Dialect): string[] {
  const problems: string[] = [];
  const twice = bitsBurnedTwice(commands);
  if (twice.length > 0) problems.push(`fuse bits programmed twice: ${JSON.stringify(twice)}`);
  const locks = count(commands, dialect.lock);
  if (locks > 1) problems.push(`${locks} lock commands`);
  const last = records.at(-1);
  if (!last) return problems;
  if (last.locked && locks !== 1) problems.push(`the record says locked, the log has ${locks} lock commands`);
  const burned = programmedBits(commands, dialect);
  if (last.fusesBurned.length > 0 && (burned & dialect.policyMask) !== dialect.policyMask) {
    problems.push(`the record says fuses ${last.fusesBurned.join(', ')} were burned; the log programmed only 0x${burned.toString(16)}`);
  }
  // A failed record may rightly claim nothing for a program the handset never confirmed; a provisioned one may not.
  if (last.outcome === 'provisioned' && last.fusesBurned.length === 0 && burned !== 0) problems.push(`the record says no fuse was burned; the log programmed 0x${burned.toString(16)}`);
  return problems;
}

export interface RunSummary {
  readonly handsets: number;
  readonly provisioned: number;
  readonly failed: number;
  readonly unfinished: number;
}

/** The counts of a `provision --json` run: its last line is the summary object (docs/pipeline.md). */
export function runSummary(stdout: string): RunSummary {
  const last = stdout.trimEnd().split('\n').at(-1) ?? '';
  return (JSON.parse(last) as { summary: RunSummary }).summary;
}
