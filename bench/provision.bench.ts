// Provisioning benchmark: batches of 16 virtual handsets served by separate `lockstep sim`
// processes (TCP fastboot, AT ports on socat ttys; one process up to 16 handsets, more for a larger
// fleet, bench/sim-fleet.ts) at the simulator's default timing (40 MB/s link,
// 80 MB/s flash, 8 s reboot), provisioned end to end by `lockstep provision --parallel 16` with a
// signed bundle of a 16 MiB boot and a 320 MiB system image, two fuses and the lock. Three kinds
// of image, one batch each from fresh images, bundle, records and simulator:
//  - raw-as-given: raw images with 1 MiB of data in every 16 MiB, zeros elsewhere, in a bundle as
//    made before `bundle create` re-sparsed images (the files as given), so every byte crosses the
//    link (the system image split into RAW pieces by the 256 MiB download buffer): the bench's case
//    until then;
//  - raw-with-zeros: the same images as `bundle create` stores them now, re-sparsed (the zero
//    blocks as FILL chunks);
//  - sparse: the system image sparse as AOSP builds ship it (per 16 MiB a 2 MiB RAW chunk, half of
//    it zeros, then DONT_CARE), the boot image raw with zeros as above;
//  - sparse-zip: the sparse variant's images in a zip bundle (images stored, as `bundle create`
//    writes a .zip), against which the summary sets the folder's figure (target: within 5 %);
//  - sparse-split, sparse-split-zip: a larger sparse system image (per 16 MiB a 12 MiB RAW chunk,
//    half of it zeros, then DONT_CARE: 120 MiB of data) to handsets with a 64 MiB download buffer,
//    so it is sent in pieces, each planned a piece ahead of sending, beyond the 64 MiB that a shared
//    read keeps: the case in which a zip bundle was read twice per handset (planning could not read
//    a zip entry's chunk headers alone, so it read the data too), from a folder and from a zip;
//  - beside raw-with-zeros and sparse, the reference a depot would otherwise use (bench/aosp-batch.ts):
//    the same images, as the build hands them over, to a fresh simulator of the same timing by one
//    AOSP `fastboot` sequence per handset, all at once (flash, oem sha256, fuse program and read,
//    lock, reboot). Compared: the flash window (each handset's first command to its last write done,
//    from the command logs, over all handsets; target Lockstep ≤ 0.8 of AOSP) and peak memory (the
//    station's against the sum of the sequences' peaks, which run side by side; target below);
//  - random (only when asked for): pseudo-random data throughout. The simulator stores only what is
//    not zero, so this one writes 16 × 336 MiB to this machine's one disk, which then sets the pace.
// LOCKSTEP_BENCH_VARIANTS=raw-as-given,raw-with-zeros,sparse,sparse-zip,sparse-split,sparse-split-zip,random chooses
// (default: all but random). LOCKSTEP_BENCH_HANDSETS=N runs N handsets instead of 16 (e.g. 32).
// LOCKSTEP_BENCH_SIM_HANDSETS=N serves at most N handsets per simulator process (default: from the
// handsets and the machine's cores, simProcessCount in bench/sim-fleet.ts).
// The floor of each batch is what a perfect sender cannot avoid: the bytes that must cross the link
// (each image at its smallest: RAW data, 16 bytes per FILL chunk, the headers; the bundle's files
// re-measured with the same transform) at the link rate, then, not overlapping (the simulator paces
// them one after the other), every byte the handset must write (RAW and FILL, not DONT_CARE) at the
// flash rate, then the reboot. Erase, hashing and the commands themselves are not paced.
// Also measured in the same run: reading the bundle's images through one reused buffer into SHA-256
// in this process (CPU per GiB: the least a station that re-hashes every byte it sends can spend);
// `lockstep --version` (start-up RSS).
// Printed per batch: batch wall time (from the batch's `{at, batch}` line, after sign-in and bundle verification,
// to its last handset's outcome) ÷ floor (target ≤ 1.05), and the process's wall time with its start-up; aggregate download throughput ÷ (16 × link
// rate) (target ≥ 0.95); the station's CPU (GNU time: its own and its children's, e.g. udevadm)
// per handset-GiB and its share of the wall time (target: under one core); its peak RSS per
// handset; the simulator's CPU and RSS; per-phase times from the command logs; and per phase the
// cores the station, the simulator and everything else on the machine kept busy (sampled from
// /proc), since both processes share its cores with whatever else runs. Then each batch's ratio.
// LOCKSTEP_BENCH_DEPOT=1 (off by default): each variant's station first joins a depot on a throwaway
// PostgreSQL (src/main/depot/local-postgres.ts), so `lockstep provision` runs its batch with the depot
// sync on, pushing each record as it is committed; the report then says how many records the depot
// held when the process exited.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { copyFileSync, createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import { CHUNK_HEADER_SIZE, CHUNK_TYPE, SPARSE_HEADER_SIZE } from '../src/lib/sparse/reader.ts';
import { measureResparse } from '../src/lib/sparse/resparse.ts';
import { parseKeyPem } from '../src/main/bundle/keys.ts';
import { signManifest } from '../src/main/bundle/signature.ts';
import { encodeChunk, encodeSparseHeader } from '../src/lib/sparse/writer.ts';
import { DEFAULT_TIMING, readCommandLog, type CommandLogEntry } from '../src/sim/index.ts';
import { addStation, initDepot } from '../src/main/depot/admin.ts';
import { writeCredentialsFile } from '../src/main/depot/connection.ts';
import { startPostgres, type PostgresServer } from '../src/main/depot/local-postgres.ts';
import { joinDepot } from '../src/main/depot/station-depot.ts';
import { openStationRecords } from '../src/main/records/station-records.ts';
import { aospSequence, flashWindow, runAospBatch, type AospImage } from './aosp-batch.ts';
import { simProcessCount, startBenchSimFleet, type BenchSimFleet } from './sim-fleet.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const HANDSETS = handsetCount(process.env.LOCKSTEP_BENCH_HANDSETS);
const SIM_PROCESSES = simProcessCount(HANDSETS, availableCores(), perSimProcess(process.env.LOCKSTEP_BENCH_SIM_HANDSETS));
const BOOT_MIB = 16;
const SYSTEM_MIB = 320;
/** The simulator's default max-download-size (scenario `maxDownloadSize`). */
const MAX_DOWNLOAD = 256 * MiB;
const RAW_BLOCK = 4096;
const VERSION = '2.0.0';
const TIME = '/usr/bin/time';
const LOCKSTEP = resolve(import.meta.dirname, '../bin/lockstep.js');
const ADMIN_PIN = '73915284';
const TECH_PIN = '46120937';
const SUPERVISOR_PIN = '58204716';
const CLOCK_TICKS = 100;
const SAMPLE_MS = 200;
/** LOCKSTEP_BENCH_PROFILE=DIR: V8 CPU profiles of the station and the simulator in DIR (open them in DevTools). */
const PROFILE = process.env.LOCKSTEP_BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${resolve(process.env.LOCKSTEP_BENCH_PROFILE)}`] : [];
const DEPOT = process.env.LOCKSTEP_BENCH_DEPOT === '1';
const { linkBytesPerSecond: LINK, flashBytesPerSecond: FLASH, rebootMs: REBOOT_MS } = DEFAULT_TIMING;

interface Variant {
  readonly name: string;
  readonly description: string;
  /** One MiB of pseudo-random data in every `dataEvery` MiB of the raw images, zeros elsewhere. */
  readonly dataEvery: number;
  /** The system image as a sparse file (RAW chunks with zeros inside, DONT_CARE between). */
  readonly sparseSystem: boolean;
  /** MiB of pseudo-random data in each 16 MiB of the sparse system image (default 1), followed by as many of zeros. */
  readonly sparseDataMib?: number;
  /** The bundle as made before `bundle create` re-sparsed images: the raw files as given, every byte sent. */
  readonly asGiven: boolean;
  /** The station reads a zip bundle made by `bundle create` from the same images, instead of the folder. */
  readonly zip: boolean;
  /** The handsets' download buffer (scenario `maxDownloadSize`), when not the simulator's default. */
  readonly maxDownloadMib?: number;
  /** Also runs the same images through parallel AOSP fastboot sequences, for the side-by-side figures. */
  readonly aosp?: boolean;
}

const ALL_VARIANTS: readonly Variant[] = [
  { name: 'raw-as-given', description: 'raw images, 1 MiB of data in every 16 MiB, zeros elsewhere, in a bundle made before re-sparsing: every byte sent', dataEvery: 16, sparseSystem: false, asGiven: true, zip: false },
  { name: 'raw-with-zeros', description: 'the same raw images, stored re-sparsed by bundle create (zero blocks as FILL)', dataEvery: 16, sparseSystem: false, asGiven: false, zip: false, aosp: true },
  { name: 'sparse', description: 'sparse system image as AOSP builds ship it (RAW chunks, half zeros, DONT_CARE between), raw boot with zeros', dataEvery: 16, sparseSystem: true, asGiven: false, zip: false, aosp: true },
  { name: 'sparse-zip', description: 'the sparse variant\'s images in a zip bundle (images stored), read by the station from the zip', dataEvery: 16, sparseSystem: true, asGiven: false, zip: true },
  { name: 'sparse-split', description: 'a sparse system image with 120 MiB of data to handsets with a 64 MiB download buffer: sent in planned pieces', dataEvery: 16, sparseSystem: true, sparseDataMib: 6, asGiven: false, zip: false, maxDownloadMib: 64 },
  { name: 'sparse-split-zip', description: 'sparse-split from a zip bundle (images stored)', dataEvery: 16, sparseSystem: true, sparseDataMib: 6, asGiven: false, zip: true, maxDownloadMib: 64 },
  // Not run by default: every byte of 16 handsets' partitions goes to this machine's one disk, which then sets the pace.
  { name: 'random', description: 'raw images of pseudo-random data: every byte must cross the link and reach the disk', dataEvery: 1, sparseSystem: false, asGiven: false, zip: false },
];
const WANTED = process.env.LOCKSTEP_BENCH_VARIANTS?.split(',') ?? ['raw-as-given', 'raw-with-zeros', 'sparse', 'sparse-zip', 'sparse-split', 'sparse-split-zip'];
const VARIANTS = ALL_VARIANTS.filter((variant) => WANTED.includes(variant.name));

for (const [tool, debian] of [[TIME, 'time'], ['/usr/bin/socat', 'socat'], ['/usr/bin/fastboot', 'fastboot']] as const) {
  if (!existsSync(tool)) {
    process.stderr.write(`provision bench: ${tool} is missing (apt-get install ${debian})\n`);
    process.exit(1);
  }
}

const work = mkdtempSync(join(tmpdir(), 'lockstep-provision-bench-'));
// Set and cleared inside runVariant; the casts keep the compiler from narrowing them to null here.
let sims = null as BenchSimFleet | null;
let station = null as ChildProcess | null;
let depotServer = null as PostgresServer | null;
try {
  const imageBytes = (BOOT_MIB + SYSTEM_MIB) * MiB;
  // The random variant's partitions hold every byte; each handset's download buffer holds up to a piece.
  const needed = 3 * imageBytes + HANDSETS * (imageBytes + MAX_DOWNLOAD) + GiB;
  const disk = await statfs(work);
  if (disk.bavail * disk.bsize < needed) throw new Error(`${work} has ${(disk.bavail * disk.bsize / GiB).toFixed(1)} GiB free; the bench needs ${(needed / GiB).toFixed(1)} GiB`);
  await lockstep(['keys', 'generate', '--out', join(work, 'keys')]);
  mkdirSync(join(work, 'trust'));
  copyFileSync(join(work, 'keys', 'signing.pub.pem'), join(work, 'trust', 'signing.pub.pem'));
  const startup = await measured(process.execPath, [LOCKSTEP, '--version']);
  const results: { variant: Variant; ratio: number; floor: number; batchWall: number; aosp: AospFigures | null }[] = [];
  for (const variant of VARIANTS) results.push({ variant, ...(await runVariant(variant, startup.rssMb)) });
  process.stdout.write(`summary: batch wall time ÷ floor (target ≤ 1.05)\n`);
  for (const { variant, ratio, floor, batchWall } of results) {
    process.stdout.write(`  ${variant.name.padEnd(16)} ${batchWall.toFixed(2)} s / ${floor.toFixed(2)} s = ${ratio.toFixed(3)}  (${ratio <= 1.05 ? 'met' : 'NOT met'})\n`);
  }
  for (const zip of results.filter((result) => result.variant.zip)) {
    const folder = results.find((result) => `${result.variant.name}-zip` === zip.variant.name);
    if (!folder) continue;
    const zipRatio = zip.batchWall / folder.batchWall;
    process.stdout.write(`  zip ÷ folder (${folder.variant.name}) ${zip.batchWall.toFixed(2)} s / ${folder.batchWall.toFixed(2)} s = ${zipRatio.toFixed(3)}  (target within 5 %: ${Math.abs(zipRatio - 1) <= 0.05 ? 'met' : 'NOT met'})\n`);
  }
  for (const { variant, aosp } of results) {
    if (aosp) process.stdout.write(`  ${variant.name} beside AOSP: ${aospLine(aosp)}\n`);
  }
} finally {
  // The station runs under GNU time, which does not pass a signal on: stop the station itself.
  const running = station !== null && station.exitCode === null ? childPid(station.pid ?? 0) : null;
  if (running !== null) process.kill(running, 'SIGTERM');
  station?.kill('SIGTERM');
  await stopSims();
  depotServer?.destroy();
  if (process.env.LOCKSTEP_BENCH_KEEP) process.stdout.write(`  kept ${work} (command logs under <variant>/state/)\n`);
  else rmSync(work, { recursive: true, force: true });
}

/** A depot of its own for the variant's station, joined before the batch (its sync then runs in `lockstep provision`); the depot's database. */
async function joinBenchDepot(db: string, name: string): Promise<string> {
  depotServer ??= await startPostgres();
  const database = `bench_${name.replaceAll('-', '_')}`;
  depotServer.createDatabase(database);
  const admin = depotServer.adminConfig(database);
  await initDepot(admin);
  const records = openStationRecords({ database: db });
  const fingerprint = records.identity.fingerprint;
  records.close();
  const credentials = await addStation(admin, { name: database, keyFingerprint: fingerprint, host: depotServer.host, port: depotServer.port, database, tls: { mode: 'disable' } });
  const credentialsPath = join(dirname(db), 'bench.credentials.json');
  await writeCredentialsFile(credentialsPath, credentials);
  await joinDepot({ databasePath: db, credentialsPath, stationFingerprint: fingerprint });
  return database;
}

async function depotRecordCount(database: string): Promise<number> {
  const client = new pg.Client(depotServer?.adminConfig(database));
  await client.connect();
  try {
    return (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM depot.records')).rows[0]?.n ?? 0;
  } finally {
    await client.end();
  }
}

/** One batch from fresh images, bundle, records and simulator; prints its report and returns its ratio to the floor. */
async function runVariant(variant: Variant, startupRssMb: number): Promise<{ ratio: number; floor: number; batchWall: number; aosp: AospFigures | null }> {
  const dir = join(work, variant.name);
  mkdirSync(dir);
  const imageBytes = (BOOT_MIB + SYSTEM_MIB) * MiB;
  const boot = join(dir, 'boot.img');
  const system = join(dir, variant.sparseSystem ? 'system.simg' : 'system.img');
  await writeImage(boot, BOOT_MIB, null, variant.dataEvery);
  if (variant.sparseSystem) await writeSparseImage(system, SYSTEM_MIB, `ro.build.display.id=${VERSION}\n`, variant.sparseDataMib ?? 1);
  else await writeImage(system, SYSTEM_MIB, `ro.build.display.id=${VERSION}\n`, variant.dataEvery);
  const bundle = join(dir, 'bundle');
  const create = (out: string): Promise<string> => lockstep(['bundle', 'create', '--product', 'lockstep-ref', '--hw-rev', 'B2', '--version', VERSION, '--partition', `boot=${boot}`,
    '--partition', `system=${system}`, '--boot-slot', 'boot=active', '--boot-slot', 'system=active', '--fuse', 'CAMERA_DISABLE', '--fuse', 'GPS_DISABLE', '--lock',
    '--key', join(work, 'keys', 'signing.key.pem'), '--out', out]);
  await create(bundle);
  // The folder is still made: the floor and the hashing figure are measured from its files, which the zip stores byte for byte.
  const served = variant.zip ? join(dir, 'bundle.zip') : bundle;
  if (variant.zip) await create(served);
  if (variant.asGiven) await storeAsGiven(bundle, { boot, system }, join(work, 'keys', 'signing.key.pem'));
  // AOSP's sequences are given the images as the build hands them over, after the station's batch.
  if (!variant.aosp) {
    rmSync(boot);
    rmSync(system);
  }
  const manifest = JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8')) as { partitions: { file: string; size: number; sparse: boolean }[] };
  const floorBytes = await perfectSender(manifest.partitions.map((partition) => ({ ...partition, path: join(bundle, partition.file) })));
  const bundleBytes = manifest.partitions.reduce((sum, partition) => sum + partition.size, 0);
  const db = join(dir, 'records.sqlite');
  await lockstep(['operators', 'add', '--db', db, '--id', 'admin', '--name', 'Admin', '--role', 'admin'], `${ADMIN_PIN}\n`);
  await lockstep(['operators', 'add', '--db', db, '--id', 'tech', '--name', 'Tech', '--role', 'technician', '--as', 'admin'], `${ADMIN_PIN}\n${TECH_PIN}\n`);
  await lockstep(['operators', 'add', '--db', db, '--id', 'sup', '--name', 'Sup', '--role', 'supervisor', '--as', 'admin'], `${ADMIN_PIN}\n${SUPERVISOR_PIN}\n`);
  const depot = DEPOT ? await joinBenchDepot(db, variant.name) : null;
  const images = manifest.partitions.map((partition) => join(bundle, partition.file));
  const hashPerGiB = await readAndHashCpu(images) / (imageBytes / GiB);

  // Each handset on a free TCP port the OS picks (--tcp 0), so no port can be taken by someone else.
  const fleet = { lockstep: LOCKSTEP, handsets: HANDSETS, processes: SIM_PROCESSES, ...(variant.maxDownloadMib === undefined ? {} : { maxDownloadMib: variant.maxDownloadMib }) };
  const simFleet = await startBenchSimFleet({ ...fleet, dir: join(dir, 'sim'), pty: true, nodeOptions: PROFILE });
  sims = simFleet;
  const { handsets } = simFleet;

  const samples: Sample[] = [];
  const stationArgs = [...PROFILE, LOCKSTEP, 'provision', '--bundle', served, '--trust', join(work, 'trust'), '--db', db, '--data', join(dir, 'data'), '--operator', 'tech', '--supervisor', 'sup'];
  for (const { port } of handsets) stationArgs.push('--tcp', `127.0.0.1:${port}`);
  for (const ptyDir of simFleet.ptyDirs) stationArgs.push('--serial', ptyDir);
  stationArgs.push('--expect', String(HANDSETS), '--parallel', String(HANDSETS), '--json');
  const started = Date.now();
  const child = spawn(TIME, ['-f', 'lockstep-time wall=%e user=%U sys=%S rss-kib=%M', process.execPath, ...stationArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOCKSTEP_OPERATOR_PIN: TECH_PIN, LOCKSTEP_SUPERVISOR_PIN: SUPERVISOR_PIN },
  });
  station = child;
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (data: Buffer) => (stdout += data.toString('utf8')));
  child.stderr.on('data', (data: Buffer) => (stderr = (stderr + data.toString('utf8')).slice(-16_384)));
  const sample = (): void => {
    const stationPid = childPid(child.pid ?? 0);
    samples.push({ at: Date.now(), sim: sumOrNull(simFleet.pids.map(cpuSeconds)), station: stationPid === null ? null : cpuSeconds(stationPid), machine: machineTicks() });
  };
  sample();
  const sampler = setInterval(sample, SAMPLE_MS);
  const code = await new Promise<number | null>((done) => child.on('close', done));
  clearInterval(sampler);
  sample();
  const ended = Date.now();
  station = null;
  const simPeakRss = simFleet.pids.map(peakRssMb);
  const time = /lockstep-time wall=([\d.]+) user=([\d.]+) sys=([\d.]+) rss-kib=(\d+)/.exec(stderr);
  if (code !== 0 || !time) throw new Error(`lockstep provision exited ${code}:\n${stderr}\n${stdout.slice(-4000)}`);
  const events = stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { at: string; phase?: string; serial?: string | null; batch?: unknown });
  const outcomes = events.filter((event) => event.phase === 'provisioned');
  const provisioned = new Set(outcomes.map((event) => event.serial));
  if (provisioned.size !== HANDSETS) throw new Error(`only ${provisioned.size} of ${HANDSETS} handsets were provisioned:\n${stdout.slice(-4000)}`);
  // The batch: from the moment it began (operators signed in, bundle verified: once per shift or per
  // bundle at a depot) to its last handset's outcome. The process's own start-up is reported apart.
  const batchBegan = Date.parse(events.find((event) => event.batch !== undefined)?.at ?? '');
  const batchEnded = Math.max(...outcomes.map((event) => Date.parse(event.at)));

  const commandLogs = await Promise.all(handsets.map(({ serial, stateDir }) => readCommandLog(stateDir, serial)));
  const logs = commandLogs.map((log, index) => phasesOf(handsets[index]?.serial ?? '', log));
  await stopSims();
  rmSync(join(dir, 'sim'), { recursive: true, force: true });
  const stationRss = (Number(time[4]) * 1024) / 1e6;
  const aosp = variant.aosp
    ? await aospReference(dir, fleet, [
        { partition: 'boot_a', path: boot, expandedBytes: BOOT_MIB * MiB },
        { partition: 'system_a', path: system, expandedBytes: SYSTEM_MIB * MiB },
      ], { windowSeconds: windowSeconds(commandLogs), peakRssMb: stationRss })
    : null;
  const wall = Number(time[1]);
  const stationCpu = Number(time[2]) + Number(time[3]);
  const simCpu = (samples.at(-1)?.sim ?? Number.NaN) - (samples[0]?.sim ?? Number.NaN);
  const floor = floorBytes.link / LINK + floorBytes.flash / FLASH + REBOOT_MS / 1000;
  const mostSent = Math.max(...logs.map((entry) => entry.linkBytes));
  const firstCommand = Math.min(...logs.map((entry) => entry.first));
  const lastCommand = Math.max(...logs.map((entry) => entry.last));

  // Aggregate throughput: each handset's bytes over the time its downloads were in progress, summed
  // (the 16 download at once); and, stricter, all bytes over the span in which any download ran.
  const aggregate = logs.reduce((sum, entry) => sum + entry.linkBytes / entry.downloadSeconds, 0);
  const union = unionSeconds(logs.flatMap((entry) => entry.downloads));
  const allBytes = logs.reduce((sum, entry) => sum + entry.linkBytes, 0);
  const handsetGiB = (HANDSETS * imageBytes) / GiB;
  const windows: [string, number, number][] = [
    ['start-up (until the batch began)', started, batchBegan],
    ['batch began to first command', batchBegan, firstCommand],
    ['flash (first erase to last flash done)', Math.min(...logs.map((entry) => entry.flashStart)), Math.max(...logs.map((entry) => entry.flashEnd))],
    ['verify + fuse + lock', Math.min(...logs.map((entry) => entry.flashEnd)), Math.max(...logs.map((entry) => entry.rebootAt))],
    ['reboot, AT checks, records', Math.min(...logs.map((entry) => entry.rebootAt)), ended],
    ['whole run', started, ended],
  ];

  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  const s = (seconds: number): string => `${seconds.toFixed(2)} s`;
  const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
  const verdict = (met: boolean): string => (met ? 'met' : 'NOT met');
  const spread = (pick: (entry: Phases) => number): string => {
    const values = logs.map(pick).sort((a, b) => a - b);
    return `${s(values[Math.floor(values.length / 2)] ?? 0)} / ${s(values.at(-1) ?? 0)}`;
  };
  out(`--- ${variant.name}: ${variant.description}`);
  const simProcesses = `${SIM_PROCESSES === 1 ? 'a separate lockstep sim' : `${SIM_PROCESSES} separate lockstep sim processes`}`;
  out(`${HANDSETS} handsets from ${simProcesses} (${LINK / 1e6} MB/s link, ${FLASH / 1e6} MB/s flash, ${REBOOT_MS / 1000} s reboot), images ${BOOT_MIB + SYSTEM_MIB} MiB expanded, stored in the bundle as ${mb(bundleBytes)}, --parallel ${HANDSETS}, ${availableCores()} cores shared by the station and the simulator:`);
  out(`  floor (a perfect sender)           ${s(floor)} = ${mb(floorBytes.link)} that must cross the link / ${LINK / 1e6} MB/s + ${mb(floorBytes.flash)} to write / ${FLASH / 1e6} MB/s + ${s(REBOOT_MS / 1000)} reboot`);
  out(`    sent per handset (command logs)  ${mb(mostSent)} at most, ${(mostSent / floorBytes.link).toFixed(3)} of what must cross the link`);
  const batchWall = (batchEnded - batchBegan) / 1000;
  const ratio = batchWall / floor;
  out(`  batch wall time (batch began → last outcome) ${s(batchWall)}  ratio ${ratio.toFixed(3)} of the floor  (target ≤ 1.05: ${verdict(ratio <= 1.05)})`);
  if (depot) out(`  depot sync on: the depot held ${await depotRecordCount(depot)} of ${HANDSETS} records when the provision process exited`);
  out(`  process wall time (provision process) ${s(wall)}  ratio ${(wall / floor).toFixed(3)}: start-up (Node, PIN checks, bundle verification) ${s((batchBegan - started) / 1000)}, batch, then ${s((ended - batchEnded) / 1000)} to exit`);
  out(`    batch began to first fastboot command ${s((firstCommand - batchBegan) / 1000)}; first command to last AT command ${s((lastCommand - firstCommand) / 1000)} (ratio ${((lastCommand - firstCommand) / 1000 / floor).toFixed(3)}); last AT command to last outcome ${s((batchEnded - lastCommand) / 1000)}`);
  out(`  per handset, median / slowest (from the command logs):`);
  out(`    detect + identify + erase         ${spread((entry) => entry.beforeFlash)}`);
  out(`    downloads (floor ${s(floorBytes.link / LINK)})         ${spread((entry) => entry.downloadSeconds)}`);
  out(`    flash: commands (floor ${s(floorBytes.flash / FLASH)})    ${spread((entry) => entry.flashSeconds)}`);
  out(`    verify (oem sha256, unpaced)      ${spread((entry) => entry.verifySeconds)}`);
  out(`    fuse + lock                       ${spread((entry) => entry.fuseLockSeconds)}`);
  out(`    reboot to first AT command (floor ${s(REBOOT_MS / 1000)}) ${spread((entry) => entry.rebootSeconds)}`);
  out(`    AT checks                         ${spread((entry) => entry.checksSeconds)}`);
  out(`    first to last command             ${spread((entry) => (entry.last - entry.first) / 1000)}`);
  out(`  aggregate download throughput      ${(aggregate / 1e6).toFixed(0)} MB/s  ratio ${(aggregate / (HANDSETS * LINK)).toFixed(3)} of ${HANDSETS} × ${LINK / 1e6} MB/s  (target ≥ 0.95: ${verdict(aggregate / (HANDSETS * LINK) >= 0.95)})`);
  out(`    all ${(allBytes / 1e6).toFixed(0)} MB over the ${s(union)} in which any download ran: ${(allBytes / union / 1e6).toFixed(0)} MB/s, ratio ${(allBytes / union / (HANDSETS * LINK)).toFixed(3)}`);
  out(`  station CPU                        ${s(stationCpu)} (user ${time[2]} s, sys ${time[3]} s) = ${(stationCpu / handsetGiB).toFixed(2)} s per handset-GiB (${handsetGiB.toFixed(2)} handset-GiB expanded), ${(stationCpu / handsetGiB / hashPerGiB).toFixed(1)}x the ${hashPerGiB.toFixed(2)} s/GiB of reading + SHA-256 of the bundle's files`);
  out(`    ${(stationCpu / wall).toFixed(2)} cores over the wall time (target < 1 core: ${verdict(stationCpu / wall < 1)}); at the floor's pace it would need ${(stationCpu / floor).toFixed(2)} cores`);
  out(`  station peak RSS                   ${stationRss.toFixed(0)} MB = ${(stationRss / HANDSETS).toFixed(1)} MB per handset; ${((stationRss - startupRssMb) / HANDSETS).toFixed(1)} MB per handset above start-up (lockstep --version: ${startupRssMb.toFixed(0)} MB)`);
  out(`  simulator CPU                      ${s(simCpu)} user+sys = ${(simCpu / handsetGiB).toFixed(2)} s per handset-GiB; ${(simCpu / ((ended - started) / 1000)).toFixed(2)} cores over the wall time; peak RSS ${simPeakRss.map((rss) => rss.toFixed(0)).join(' + ')} MB`);
  out(`  CPU bound: station + simulator ${s(stationCpu + simCpu)} of CPU on ${availableCores()} cores take at least ${s((stationCpu + simCpu) / availableCores())} = ${((stationCpu + simCpu) / availableCores() / floor).toFixed(2)}x the floor`);
  out(`  cores kept busy per phase (the machine has ${availableCores()}):            station  simulator  others`);
  for (const [name, from, to] of windows) {
    const share = busyShares(samples, from, to);
    out(`    ${`${name} ${s((to - from) / 1000)}`.padEnd(52)} ${share.station.toFixed(2).padStart(7)} ${share.sim.toFixed(2).padStart(10)} ${share.others.toFixed(2).padStart(7)}`);
  }
  if (aosp) out(`  beside AOSP fastboot (${HANDSETS} parallel sequences, fresh simulator): ${aospLine(aosp)}`);
  const others = busyShares(samples, started, ended).others;
  if (others > 0.2) out(`  NOTE: other processes kept ${others.toFixed(2)} cores busy during the run; the wall-time figures are not representative of this machine`);
  rmSync(dir, { recursive: true, force: true });
  return { ratio, floor, batchWall, aosp };
}

interface AospFigures {
  readonly lockstep: { windowSeconds: number; peakRssMb: number };
  readonly aosp: { windowSeconds: number; peakRssMb: number };
}

/** The same images to a fresh simulator by one AOSP fastboot sequence per handset, all at once. */
async function aospReference(dir: string, fleet: Omit<Parameters<typeof startBenchSimFleet>[0], 'dir' | 'pty'>, images: readonly AospImage[], lockstep: AospFigures['lockstep']): Promise<AospFigures> {
  const served = await startBenchSimFleet({ ...fleet, dir: join(dir, 'aosp-sim'), pty: false });
  sims = served;
  const { handsets } = served;
  // CAMERA_DISABLE and GPS_DISABLE of the reference model: bank 3, word 0, bits 4 and 5.
  const batch = await runAospBatch(handsets.map(({ port }) => port), aospSequence(images, { bank: 3, word: 0, mask: 0x30 }));
  const logs = await Promise.all(handsets.map(({ serial, stateDir }) => readCommandLog(stateDir, serial)));
  await stopSims();
  rmSync(join(dir, 'aosp-sim'), { recursive: true, force: true });
  for (const image of images) rmSync(image.path);
  return { lockstep, aosp: { windowSeconds: windowSeconds(logs), peakRssMb: batch.peakRssMb.reduce((sum, mb) => sum + mb, 0) } };
}

/** The batch's flash window: the earliest first command to the latest last write done, over the handsets' logs. */
function windowSeconds(logs: readonly (readonly CommandLogEntry[])[]): number {
  const windows = logs.map(flashWindow);
  return (Math.max(...windows.map((entry) => entry.to)) - Math.min(...windows.map((entry) => entry.from))) / 1000;
}

function aospLine({ lockstep, aosp }: AospFigures): string {
  const ratio = lockstep.windowSeconds / aosp.windowSeconds;
  const memory = lockstep.peakRssMb < aosp.peakRssMb;
  return `flash window ${lockstep.windowSeconds.toFixed(2)} s / ${aosp.windowSeconds.toFixed(2)} s = ${ratio.toFixed(3)} (target ≤ 0.8: ${ratio <= 0.8 ? 'met' : 'NOT met'}); `
    + `peak memory: station ${lockstep.peakRssMb.toFixed(0)} MB, the AOSP sequences' sum ${aosp.peakRssMb.toFixed(0)} MB (target below: ${memory ? 'met' : 'NOT met'})`;
}

/** LOCKSTEP_BENCH_SIM_HANDSETS: handsets per simulator process, a whole number from 1 to 64 (default: simProcessCount decides). */
function perSimProcess(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const count = Number(text);
  if (!Number.isInteger(count) || count < 1 || count > 64) throw new Error(`LOCKSTEP_BENCH_SIM_HANDSETS must be a whole number from 1 to 64, not ${text}`);
  return count;
}

/** The sum, or null when any is unknown (a process gone). */
function sumOrNull(values: readonly (number | null)[]): number | null {
  return values.some((value) => value === null) ? null : values.reduce<number>((sum, value) => sum + (value ?? 0), 0);
}

/** LOCKSTEP_BENCH_HANDSETS: a whole number of handsets from 1 to 64 (default 16). */
function handsetCount(text: string | undefined): number {
  if (text === undefined) return 16;
  const count = Number(text);
  if (!Number.isInteger(count) || count < 1 || count > 64) throw new Error(`LOCKSTEP_BENCH_HANDSETS must be a whole number from 1 to 64, not ${text}`);
  return count;
}

/** Makes the bundle one of those made before `bundle create` re-sparsed: every image file raw as given, the manifest re-signed. */
async function storeAsGiven(bundle: string, originals: Readonly<Record<string, string>>, keyPath: string): Promise<void> {
  const manifest = JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8')) as { partitions: { name: string; file: string }[] };
  for (const partition of manifest.partitions) {
    const original = originals[partition.name] as string;
    copyFileSync(original, join(bundle, partition.file));
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(original, { highWaterMark: 4 * MiB })) hash.update(chunk as Buffer);
    const file = { size: statSync(original).size, sha256: hash.digest('hex') };
    Object.assign(partition, { ...file, sparse: false, expanded: file });
  }
  const bytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(bundle, 'manifest.json'), bytes);
  writeFileSync(join(bundle, 'manifest.sig'), signManifest(bytes, [parseKeyPem(readFileSync(keyPath, 'utf8'), keyPath).key]));
}

async function stopSims(): Promise<void> {
  const running = sims;
  sims = null;
  await running?.stop();
}

/**
 * What a perfect sender must put on the link and the handset must write, from the bundle's images:
 * each image at its smallest (as stored, or re-sparsed if smaller: RAW data, 16 bytes per FILL, the
 * headers), plus the headers of any further piece; and every byte a RAW or FILL chunk covers, which
 * the handset writes (DONT_CARE regions it does not).
 */
async function perfectSender(images: readonly { path: string; size: number; sparse: boolean }[]): Promise<{ link: number; flash: number }> {
  let link = 0;
  let flash = 0;
  for (const image of images) {
    const layout = await measureResparse(createReadStream(image.path, { highWaterMark: 4 * MiB }), { sparse: image.sparse });
    const smallest = image.size <= MAX_DOWNLOAD ? Math.min(image.size, layout.size) : layout.size;
    // Every piece after the first repeats the file header and states what other pieces carry as DONT_CARE.
    link += smallest + (Math.ceil(smallest / MAX_DOWNLOAD) - 1) * (SPARSE_HEADER_SIZE + 2 * CHUNK_HEADER_SIZE);
    flash += image.sparse ? layout.rawBytes + layout.fillBytes : image.size;
  }
  return { link, flash };
}

interface Sample {
  readonly at: number;
  readonly sim: number | null;
  readonly station: number | null;
  readonly machine: { busy: number; total: number };
}

interface Phases {
  readonly linkBytes: number;
  readonly downloads: [number, number][];
  readonly downloadSeconds: number;
  readonly flashSeconds: number;
  readonly first: number;
  readonly last: number;
  readonly flashStart: number;
  readonly flashEnd: number;
  readonly rebootAt: number;
  readonly beforeFlash: number;
  readonly verifySeconds: number;
  readonly fuseLockSeconds: number;
  readonly rebootSeconds: number;
  readonly checksSeconds: number;
}

/**
 * One handset's times from its command log. A command's time is when it reached the handset, so a
 * download lasts from `download:` to the `flash:` that follows it (the data, then OKAY, then the
 * station's next command), a flash from `flash:` to the next command.
 */
function phasesOf(serial: string, log: readonly CommandLogEntry[]): Phases {
  const at = log.map((entry) => Date.parse(entry.time));
  const index = (test: (entry: CommandLogEntry) => boolean, from = 0): number => {
    const found = log.findIndex((entry, i) => i >= from && test(entry));
    if (found < 0) throw new Error(`${serial}: the command log lacks an expected command`);
    return found;
  };
  const fastboot = (prefix: string) => (entry: CommandLogEntry) => entry.channel === 'fastboot' && entry.command.startsWith(prefix);
  const next = (i: number): number => at[i + 1] ?? at[i] ?? 0;
  let linkBytes = 0;
  const downloads: [number, number][] = [];
  let flashSeconds = 0;
  log.forEach((entry, i) => {
    if (fastboot('download:')(entry)) {
      const size = Number.parseInt(entry.command.slice('download:'.length), 16);
      linkBytes += size;
      downloads.push([at[i] ?? 0, next(i)]);
    }
    if (fastboot('flash:')(entry)) flashSeconds += (next(i) - (at[i] ?? 0)) / 1000;
  });
  const firstErase = index(fastboot('erase:'));
  const firstHash = index(fastboot('oem sha256'));
  const firstFuse = index(fastboot('oem fuse'), firstHash);
  const reboot = index(fastboot('reboot'), firstFuse);
  const firstAt = index((entry) => entry.channel === 'at', reboot);
  const first = at[0] ?? 0;
  const last = at.at(-1) ?? 0;
  return {
    linkBytes,
    downloads,
    downloadSeconds: downloads.reduce((sum, [from, to]) => sum + (to - from) / 1000, 0),
    flashSeconds,
    first,
    last,
    flashStart: at[firstErase] ?? 0,
    flashEnd: at[firstHash] ?? 0,
    rebootAt: at[reboot] ?? 0,
    beforeFlash: ((at[firstErase] ?? 0) - first) / 1000,
    verifySeconds: ((at[firstFuse] ?? 0) - (at[firstHash] ?? 0)) / 1000,
    fuseLockSeconds: ((at[reboot] ?? 0) - (at[firstFuse] ?? 0)) / 1000,
    rebootSeconds: ((at[firstAt] ?? 0) - (at[reboot] ?? 0)) / 1000,
    checksSeconds: (last - (at[firstAt] ?? 0)) / 1000,
  };
}

function unionSeconds(intervals: readonly [number, number][]): number {
  let total = 0;
  let end = Number.NEGATIVE_INFINITY;
  for (const [from, to] of [...intervals].sort((a, b) => a[0] - b[0])) {
    if (to <= end) continue;
    total += to - Math.max(from, end);
    end = to;
  }
  return total / 1000;
}

/** Average cores the station, the simulator and everything else kept busy between two times, from the samples. */
function busyShares(samples: readonly Sample[], from: number, to: number): { station: number; sim: number; others: number } {
  const inside = samples.filter((entry) => entry.at >= from - SAMPLE_MS / 2 && entry.at <= to + SAMPLE_MS / 2);
  const share = (pick: (entry: Sample) => number | null): number => {
    const known = inside.filter((entry) => pick(entry) !== null);
    const [a, b] = [known[0], known.at(-1)];
    return a && b && b.at > a.at ? ((pick(b) ?? 0) - (pick(a) ?? 0)) / ((b.at - a.at) / 1000) : 0;
  };
  const [a, b] = [inside[0], inside.at(-1)];
  const machine = a && b && b.at > a.at ? ((b.machine.busy - a.machine.busy) / (b.machine.total - a.machine.total)) * availableCores() : Number.NaN;
  const station = share((entry) => entry.station);
  const sim = share((entry) => entry.sim);
  return { station, sim, others: Math.max(0, machine - station - sim) };
}

/** `count` MiB: one pseudo-random MiB (AES-CTR keystream) in every `dataEvery`, zeros elsewhere; `head` over the start. */
async function writeImage(path: string, count: number, head: string | null, dataEvery: number): Promise<void> {
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, 3), Buffer.alloc(16, 0));
  const zeros = Buffer.alloc(MiB);
  const file = await open(path, 'w');
  try {
    for (let mib = 0; mib < count; mib++) {
      const piece = mib % dataEvery === 0 ? cipher.update(zeros) : zeros;
      if (mib === 0 && head !== null) piece.write(head, 0, 'utf8');
      await file.write(piece, 0, MiB, mib * MiB);
    }
  } finally {
    await file.close();
  }
}

/**
 * `count` MiB expanded, as a sparse file whose every 16 MiB is a 2 × `dataMib` MiB RAW chunk (`dataMib`
 * MiB of pseudo-random data, then as many of zeros, as a file system image holds zeroed blocks it uses) and a DONT_CARE
 * chunk for the rest; `head` over the start.
 */
async function writeSparseImage(path: string, count: number, head: string, dataMib: number): Promise<void> {
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, 5), Buffer.alloc(16, 0));
  const zeros = Buffer.alloc(dataMib * MiB);
  const groups = count / 16;
  const file = await open(path, 'w');
  try {
    await file.write(encodeSparseHeader(RAW_BLOCK, (count * MiB) / RAW_BLOCK, 2 * groups));
    for (let group = 0; group < groups; group++) {
      const data = cipher.update(zeros);
      if (group === 0) data.write(head, 0, 'utf8');
      await file.write(encodeChunk(CHUNK_TYPE.RAW, (2 * dataMib * MiB) / RAW_BLOCK, 2 * dataMib * MiB));
      await file.write(data);
      await file.write(zeros);
      await file.write(encodeChunk(CHUNK_TYPE.DONT_CARE, ((16 - 2 * dataMib) * MiB) / RAW_BLOCK, 0));
    }
  } finally {
    await file.close();
  }
}

/** CPU seconds (user + sys) this process spends reading the files through one reused buffer into SHA-256. */
async function readAndHashCpu(paths: readonly string[]): Promise<number> {
  const buffer = Buffer.allocUnsafeSlow(4 * MiB);
  const before = process.cpuUsage();
  for (const path of paths) {
    const hash = createHash('sha256');
    const file = await open(path, 'r');
    try {
      for (let read = 1; read > 0; ) {
        ({ bytesRead: read } = await file.read(buffer, 0, buffer.length, null));
        hash.update(buffer.subarray(0, read));
      }
    } finally {
      await file.close();
    }
    hash.digest();
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

/** Runs the CLI to completion (setup steps), with `input` on stdin. */
function lockstep(args: readonly string[], input = ''): Promise<string> {
  return new Promise((done, fail) => {
    const child = execFile(process.execPath, [LOCKSTEP, ...args], { encoding: 'utf8', maxBuffer: 16 * MiB }, (error, stdout, stderr) =>
      error ? fail(new Error(`lockstep ${args.join(' ')}: ${stderr || error.message}`)) : done(stdout),
    );
    child.stdin?.end(input);
  });
}

/** Peak RSS (`%M`, KiB) and CPU seconds (user + sys) of one process as GNU time reports them. */
function measured(command: string, args: readonly string[]): Promise<{ rssMb: number; cpu: number }> {
  return new Promise((done, fail) => {
    execFile(TIME, ['-f', 'lockstep-time rss-kib=%M cpu=%U+%S', command, ...args], { encoding: 'utf8' }, (error, _stdout, stderr) => {
      if (error) return fail(error);
      const match = /lockstep-time rss-kib=(\d+) cpu=([\d.]+)\+([\d.]+)/.exec(stderr);
      if (!match) return fail(new Error(`no figures from GNU time for ${command}: ${stderr}`));
      done({ rssMb: (Number(match[1]) * 1024) / 1e6, cpu: Number(match[2]) + Number(match[3]) });
    });
  });
}

/** The pid of GNU time's child (the station itself), once it exists. */
function childPid(pid: number): number | null {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return children === '' ? null : Number(children.split(' ')[0]);
  } catch {
    return null;
  }
}

/** CPU seconds of a live process and of its children that have ended (utime, stime, cutime, cstime); null once it is gone. */
function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** The machine's busy and total CPU ticks (all cores) from /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

function availableCores(): number {
  return readFileSync('/proc/stat', 'utf8').split('\n').filter((line) => /^cpu\d+ /.test(line)).length;
}

/** VmHWM of a live process: its peak resident set. */
function peakRssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((entry) => entry.startsWith('VmHWM:')) ?? 'VmHWM: 0 kB';
  return (Number(line.replace(/\D+/g, '')) * 1024) / 1e6;
}

