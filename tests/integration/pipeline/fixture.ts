// The in-process station the pipeline tests drive: a fresh records database with an admin, a
// supervisor and a technician, a simulated fleet at test speed on a virtual USB bus and AT serial
// bus, and a batch started through startProvisioning, exactly as the CLI starts one. Helpers read
// the handsets' own command logs, which are the proof of what reached each device.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBundle } from '../../../src/main/bundle/create.ts';
import { generateDemoBundle } from '../../../src/main/bundle/demo.ts';
import { generateSigningKeyPair, parseKeyPem } from '../../../src/main/bundle/keys.ts';
import { imagePathFor } from '../../../src/main/bundle/layout.ts';
import { HandsetRegistry } from '../../../src/main/discovery/registry.ts';
import { SimSerialBackend } from '../../../src/main/discovery/sim-serial-backend.ts';
import { UsbBackend } from '../../../src/main/discovery/usb-backend.ts';
import { defaultProfilesDir } from '../../../src/main/profiles/profile-store.ts';
import { openStationRecords, type StationRecords } from '../../../src/main/records/station-records.ts';
import type { ProvisioningBatch } from '../../../src/main/pipeline/batch.ts';
import { startProvisioning, type StartedBatch } from '../../../src/main/station/provisioning.ts';
import type { HandsetSnapshot, PipelineSnapshot } from '../../../src/shared/pipeline.ts';
import type { DeviceProfile } from '../../../src/shared/profile.ts';
import { createSimFleet, readCommandLog, type Scenario, type SimFleet, type SimHandset, type SimTiming } from '../../../src/sim/index.ts';
import { addDepotOperators, SUPERVISOR, TECHNICIAN } from '../../depot-operators.ts';
export { ADMIN, SUPERVISOR, TECHNICIAN } from '../../depot-operators.ts';


/** Unthrottled link and flash, a short reboot: the tests never depend on simulated time. */
export const FAST_TIMING: SimTiming = { linkBytesPerSecond: 0, flashBytesPerSecond: 0, rebootMs: 200 };

/**
 * Timeouts for the test's copy of the shipped profiles: long enough for a loaded 2-core machine to
 * hash 16 MiB or boot a virtual handset many times over, short enough that a stalled hash or a hung
 * reboot costs seconds instead of the shipped profiles' 10 minutes and 90 s.
 */
export const SHORT_TIMEOUTS: DeviceProfile['timeouts'] = { commandMs: 10_000, hashMs: 6_000, rebootMs: 6_000, atCommandMs: 6_000 };

export const OUTCOMES: readonly string[] = ['provisioned', 'failed', 'aborted'];

/** Writes the shipped profiles, unchanged but for their timeouts, into `dir` (used as the station's profile folder). */
export async function writeProfilesWithTimeouts(dir: string, timeouts: DeviceProfile['timeouts']): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const name of ['lockstep-ref.json', 'kestrel-k2.json']) {
    const profile = JSON.parse(await readFile(join(defaultProfilesDir(), name), 'utf8')) as DeviceProfile;
    await writeFile(join(dir, name), JSON.stringify({ ...profile, timeouts }, null, 2));
  }
  return dir;
}

export interface TestStationOptions {
  readonly scenario: Scenario;
  /** A bundle to flash; default: the demo bundle (lockstep-ref, fuses CAMERA_DISABLE and GPS_DISABLE, locks). */
  readonly bundle?: (dir: string) => Promise<string>;
  readonly timing?: Partial<SimTiming>;
  /** Profile timeouts; default: the shipped profiles as they are. */
  readonly timeouts?: DeviceProfile['timeouts'];
  readonly parallel?: number;
  readonly prefix?: string;
  /** Written to the station's station-settings.json before the batch starts (e.g. a label printer). */
  readonly stationSettings?: object;
  readonly assetTagPattern?: string;
  /** Who authorises the batch up front, as the CLI does (default); null: nobody yet, as the operator UI starts a batch. */
  readonly supervisor?: { readonly id: string; readonly pin: string } | null;
}

export interface TestStation {
  readonly dir: string;
  readonly stateDir: string;
  readonly fleet: SimFleet;
  readonly records: StationRecords;
  readonly registry: HandsetRegistry;
  readonly started: StartedBatch;
  /** Resolves with the first published snapshot that satisfies `done`; rejects after `timeoutMs` saying where each handset stands. */
  until(done: (snapshot: PipelineSnapshot) => boolean, what: string, timeoutMs?: number): Promise<PipelineSnapshot>;
  /** Until `serials` (default: the whole scenario) each have an outcome. */
  settled(serials?: readonly string[], timeoutMs?: number): Promise<PipelineSnapshot>;
  handset(serial: string): SimHandset;
  /** The handset's fastboot commands, oldest first, from its own command log. */
  fastboot(serial: string): Promise<string[]>;
  /** The handset's AT commands, oldest first. */
  at(serial: string): Promise<string[]>;
  close(): Promise<void>;
}

export async function openTestStation(options: TestStationOptions): Promise<TestStation> {
  const dir = mkdtempSync(join(tmpdir(), options.prefix ?? 'lockstep-pipeline-'));
  const stateDir = join(dir, 'sim');
  let fleet: SimFleet | null = null;
  let registry: HandsetRegistry | null = null;
  let records: StationRecords | null = null;
  let started: StartedBatch | null = null;
  const close = async (): Promise<void> => {
    await started?.batch.stop();
    await registry?.stop();
    await fleet?.close();
    records?.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const bundlePath = options.bundle ? await options.bundle(dir) : join(dir, 'bundle');
    if (!options.bundle) await generateDemoBundle({ out: bundlePath });
    const profilesDir = options.timeouts ? await writeProfilesWithTimeouts(join(dir, 'profiles'), options.timeouts) : undefined;
    records = openStationRecords(join(dir, 'station'));
    if (options.stationSettings) writeFileSync(join(dir, 'station', 'station-settings.json'), JSON.stringify(options.stationSettings));
    addDepotOperators(records);
    fleet = await createSimFleet({ scenario: options.scenario, stateDir, timing: { ...FAST_TIMING, ...options.timing } });
    registry = new HandsetRegistry([new UsbBackend(fleet.usb, 'simulated'), new SimSerialBackend(fleet.serial)]);
    await registry.start();
    started = await startProvisioning({
      records,
      registry,
      bundlePath,
      trustDirs: [],
      demo: true,
      operator: TECHNICIAN,
      supervisor: options.supervisor === undefined ? SUPERVISOR : options.supervisor,
      deviceCap: options.scenario.devices.length,
      parallel: options.parallel ?? 4,
      continueBatch: false,
      ...(profilesDir ? { stationProfilesDir: profilesDir } : {}),
      assetTagPattern: options.assetTagPattern ?? null,
    });
  } catch (error) {
    await close();
    throw error;
  }
  const batch = started.batch;
  const simFleet = fleet;
  const until = (done: (snapshot: PipelineSnapshot) => boolean, what: string, timeoutMs = 60_000): Promise<PipelineSnapshot> =>
    untilSnapshot(batch, done, what, timeoutMs);
  const everyone = options.scenario.devices.map((device) => device.serial);
  return {
    dir,
    stateDir,
    fleet: simFleet,
    records,
    registry,
    started,
    until,
    settled: (serials = everyone, timeoutMs) =>
      until(
        (snapshot) => serials.every((serial) => OUTCOMES.includes(bySerial(snapshot, serial)?.phase ?? '')),
        `an outcome for ${serials.join(', ')}`,
        timeoutMs,
      ),
    handset: (serial) => {
      const found = simFleet.handsets.find((candidate) => candidate.serial === serial);
      if (!found) throw new Error(`no simulated handset ${serial}`);
      return found;
    },
    fastboot: async (serial) => (await readCommandLog(stateDir, serial)).filter((entry) => entry.channel === 'fastboot').map((entry) => entry.command),
    at: async (serial) => (await readCommandLog(stateDir, serial)).filter((entry) => entry.channel === 'at').map((entry) => entry.command),
    close,
  };
}

/** The first snapshot of `batch` for which `done` holds; rejects naming `what` and every handset's state after `timeoutMs`. */
export function untilSnapshot(
  batch: Pick<ProvisioningBatch, 'snapshot' | 'subscribe'>,
  done: (snapshot: PipelineSnapshot) => boolean,
  what: string,
  timeoutMs: number,
): Promise<PipelineSnapshot> {
  return new Promise<PipelineSnapshot>((resolve, reject) => {
    let stop: (() => void) | null = null;
    let finished = false;
    const timer = setTimeout(() => {
      finished = true;
      stop?.();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; handsets: ${describe(batch.snapshot)}`));
    }, timeoutMs);
    stop = batch.subscribe((snapshot) => {
      if (finished || !done(snapshot)) return;
      finished = true;
      clearTimeout(timer);
      // The publisher calls listeners synchronously, possibly inside subscribe(): unsubscribe after it returned.
      queueMicrotask(() => stop?.());
      resolve(snapshot);
    });
    if (finished) stop();
  });
}

export function bySerial(snapshot: PipelineSnapshot, serial: string): HandsetSnapshot | undefined {
  return snapshot.handsets.find((handset) => handset.serial === serial);
}

function describe(snapshot: PipelineSnapshot): string {
  return snapshot.handsets.map((handset) => `${handset.serial ?? handset.slot}=${handset.phase}/${handset.step ?? '-'}${handset.reason ? `/${handset.reason.code}` : ''}`).join(' ');
}

/** A fuse burn in either dialect: the reference's `oem fuse prog <bank> <word> <mask>`, the Kestrel's `oem efuse blow b<bank>w<word> <mask>`. */
export interface FuseBurn {
  readonly bank: number;
  readonly word: number;
  readonly mask: number;
}

export function parseFuseBurn(command: string): FuseBurn | null {
  const reference = /^oem fuse prog (\d+) (\d+) (0x[0-9a-fA-F]+|\d+)$/.exec(command);
  if (reference) return { bank: Number(reference[1]), word: Number(reference[2]), mask: Number(reference[3]) >>> 0 };
  const kestrel = /^oem efuse blow b(\d+)w(\d+) (0x[0-9a-fA-F]+)$/.exec(command);
  if (kestrel) return { bank: Number(kestrel[1]), word: Number(kestrel[2]), mask: Number(kestrel[3]) >>> 0 };
  return null;
}

/** Commands that cannot be taken back: fuse burns and bootloader locks, in both dialects. */
export function isIrreversible(command: string): boolean {
  return /^oem (fuse prog|efuse blow) /.test(command) || command === 'flashing lock' || command === 'oem lock';
}

/** Whether any fuse bit was sent to be burned more than once, over all the burns of one handset. */
export function bitsBurnedTwice(commands: readonly string[]): FuseBurn[] {
  const seen = new Map<string, number>();
  const twice: FuseBurn[] = [];
  for (const burn of commands.map(parseFuseBurn)) {
    if (!burn) continue;
    const key = `${burn.bank}/${burn.word}`;
    const earlier = seen.get(key) ?? 0;
    const again = (earlier & burn.mask) >>> 0;
    if (again !== 0) twice.push({ bank: burn.bank, word: burn.word, mask: again });
    seen.set(key, (earlier | burn.mask) >>> 0);
  }
  return twice;
}

/** Partition-hash commands of either dialect, with the partition they hash. */
export function hashedPartition(command: string): string | null {
  return /^oem (?:hash )?sha256 (\S+) /.exec(command)?.[1] ?? null;
}

/**
 * Every irreversible command comes after the last flash of each written partition and after a hash of
 * each of them since: the command-log form of "fuse and lock only after verify passed".
 */
export function irreversibleBeforeVerify(commands: readonly string[], partitions: readonly string[]): string[] {
  const problems: string[] = [];
  commands.forEach((command, index) => {
    if (!isIrreversible(command)) return;
    const earlier = commands.slice(0, index);
    for (const partition of partitions) {
      const lastWrite = earlier.findLastIndex((candidate) => candidate === `flash:${partition}` || candidate === `erase:${partition}`);
      const lastHash = earlier.findLastIndex((candidate) => hashedPartition(candidate) === partition);
      if (lastHash === -1 || lastHash < lastWrite) problems.push(`'${command}' (#${index}) without a hash of ${partition} after its last write`);
    }
  });
  return problems;
}

/**
 * The demo images in a bundle signed by a depot's own key, and a trust folder holding its public
 * half: what a real station runs (outside demo mode the DEMO key is refused).
 */
export async function depotSignedBundle(dir: string): Promise<{ readonly bundle: string; readonly trustDir: string; readonly demoBundle: string }> {
  const demoBundle = join(dir, 'demo-bundle');
  await generateDemoBundle({ out: demoBundle });
  const keys = generateSigningKeyPair();
  const trustDir = join(dir, 'trusted');
  mkdirSync(trustDir, { recursive: true });
  writeFileSync(join(trustDir, 'depot.pem'), keys.publicKeyPem);
  const bundle = join(dir, 'own-bundle');
  await createBundle({
    products: ['lockstep-ref'],
    hardwareRevisions: 'any',
    version: '1.0.0-demo',
    minBootloaderVersion: 'LSBL-1.0.0',
    rollbackIndex: 1,
    partitions: [
      { name: 'boot', path: join(demoBundle, imagePathFor('boot')), bootSlot: 'active' },
      { name: 'system', path: join(demoBundle, imagePathFor('system')), sparse: true, bootSlot: 'active' },
    ],
    fuses: ['CAMERA_DISABLE', 'GPS_DISABLE'],
    lockBootloader: true,
    signingKeys: [parseKeyPem(keys.privateKeyPem, 'test key').key],
    out: bundle,
  });
  return { bundle, trustDir, demoBundle };
}
