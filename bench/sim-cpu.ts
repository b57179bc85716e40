// The simulator's CPU per byte it receives and flashes, apart from the station: 16 handsets of one
// `lockstep sim` (the provisioning bench's default timing: 40 MB/s link, 80 MB/s flash), each erased,
// sent an image by the station's own fastboot client, flashed and hashed, all at once. The figure is
// the simulator process's user + system CPU seconds (/proc, every thread: its thread pool's file I/O
// included) per GiB received and per GiB flashed. It depends less than wall times do on how busy the
// machine's other processes keep its cores, but not at all is too much (caches, memory): run it a few
// times, the spread is the noise.
//   node bench/sim-cpu.ts [--image sparse|raw] [--handsets 16] [--runs 3] [--profile DIR] [--lockstep path/to/bin/lockstep.js ...]
// Several --lockstep paths (another checkout's bin/lockstep.js) are run in turn, run by run, so two
// versions of the simulator are compared under the same conditions.
import { createCipheriv } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CHUNK_TYPE } from '../src/lib/sparse/reader.ts';
import { encodeChunk, encodeSparseHeader } from '../src/lib/sparse/writer.ts';
import { FastbootClient } from '../src/main/fastboot/client.ts';
import { connectTcp } from '../src/main/fastboot/tcp-transport.ts';
import { startBenchSimFleet } from './sim-fleet.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const BLOCK = 4096;
const CLOCK_TICKS = 100;
const SEND_PIECE = MiB;

const { values } = parseArgs({
  options: {
    image: { type: 'string', default: 'sparse' },
    handsets: { type: 'string', default: '16' },
    runs: { type: 'string', default: '3' },
    lockstep: { type: 'string', multiple: true },
    profile: { type: 'string' },
  },
});
const handsets = Number(values.handsets);
const runs = Number(values.runs);
const versions = (values.lockstep ?? [join(import.meta.dirname, '../bin/lockstep.js')]).map((path) => resolve(path));
const image = values.image === 'raw' ? rawImage(256) : sparseImage(320);
process.stdout.write(`${values.image} image: ${(image.bytes.length / MiB).toFixed(1)} MiB sent, ${image.expanded / MiB} MiB flashed, per handset; ${handsets} handsets\n`);

for (let run = 1; run <= runs; run++) {
  for (const lockstep of versions) {
    const figures = await measure(lockstep);
    process.stdout.write(`run ${run} ${lockstep}: ${figures}\n`);
  }
}

/** One MiB of pseudo-random data in every 16, zeros elsewhere, `mib` MiB raw: every byte crosses the link. */
function rawImage(mib: number): { bytes: Uint8Array; expanded: number } {
  const bytes = new Uint8Array(mib * MiB);
  for (let at = 0; at < bytes.length; at += 16 * MiB) bytes.set(random(MiB, at), at);
  return { bytes, expanded: bytes.length };
}

/** The same content as `bundle create` stores it, re-sparsed: per 16 MiB a RAW chunk of 1 MiB and a zero FILL of 15 MiB. */
function sparseImage(mib: number): { bytes: Uint8Array; expanded: number } {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < mib * MiB; at += 16 * MiB) {
    chunks.push(encodeChunk(CHUNK_TYPE.RAW, MiB / BLOCK, MiB), random(MiB, at));
    chunks.push(encodeChunk(CHUNK_TYPE.FILL, (15 * MiB) / BLOCK, 4, new Uint8Array(4)));
  }
  return { bytes: Buffer.concat([encodeSparseHeader(BLOCK, (mib * MiB) / BLOCK, chunks.length / 1.5), ...chunks]), expanded: mib * MiB };
}

function random(length: number, seed: number): Uint8Array {
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(seed / MiB, 0);
  return createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), iv).update(Buffer.alloc(length));
}

async function measure(lockstep: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-sim-cpu-'));
  const nodeOptions = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${resolve(values.profile)}`] : [];
  const fleet = await startBenchSimFleet({ lockstep, handsets, processes: 1, dir, pty: false, nodeOptions });
  const clients: FastbootClient[] = [];
  try {
    const pid = fleet.pids[0] as number;
    for (const { port } of fleet.handsets) clients.push(new FastbootClient(await connectTcp('127.0.0.1', port), { slowCommandTimeoutMs: 600_000 }));
    // Phase by phase, all handsets at once, so each phase's CPU is its own.
    const phases: [string, (client: FastbootClient) => Promise<unknown>][] = [
      ['erase', (client) => client.erase('system_a')],
      ['download', (client) => client.download(pieces(image.bytes), image.bytes.length)],
      ['flash', (client) => client.flash('system_a')],
      ['hash', (client) => client.oem(`sha256 system_a ${image.expanded}`)],
    ];
    const spent = new Map<string, Map<string, number>>();
    for (const [name, step] of phases) {
      const before = threadTicks(pid);
      await Promise.all(clients.map(step));
      spent.set(name, since(before, threadTicks(pid)));
    }
    const of = (phase: string): number => [...(spent.get(phase)?.values() ?? [])].reduce((total, value) => total + value, 0);
    const total = phases.reduce((all, [name]) => all + of(name), 0);
    const received = (handsets * image.bytes.length) / GiB;
    const flashed = (handsets * image.expanded) / GiB;
    const byThread = (ticks: ReadonlyMap<string, number>): string => [...ticks].filter(([, value]) => value >= 0.01).map(([name, value]) => `${name} ${value.toFixed(2)}`).join(', ');
    const shown = phases.map(([name]) => `${name}: ${byThread(spent.get(name) ?? new Map())}`).join('; ');
    return `${total.toFixed(2)} s CPU; download ${of('download').toFixed(2)} s = ${(of('download') / received).toFixed(2)} s per GiB received; `
      + `flash ${of('flash').toFixed(2)} s = ${(of('flash') / flashed).toFixed(3)} s per GiB flashed; erase ${of('erase').toFixed(2)} s, hash ${of('hash').toFixed(2)} s (${shown})`;
  } finally {
    await Promise.all(clients.map((client) => client.close()));
    await fleet.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** CPU seconds per thread name between two readings of threadTicks. */
function since(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const spent = new Map<string, number>();
  for (const [key, ticks] of after) {
    const name = key.slice(key.indexOf(':') + 1);
    spent.set(name, (spent.get(name) ?? 0) + (ticks - (before.get(key) ?? 0)) / CLOCK_TICKS);
  }
  return spent;
}

async function* pieces(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += SEND_PIECE) yield bytes.subarray(at, at + SEND_PIECE);
}

/** User + system ticks of each thread of a process, keyed `tid:name`. */
function threadTicks(pid: number): Map<string, number> {
  const ticks = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/\d+$/, '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks.set(`${tid}:${name}`, Number(fields[11]) + Number(fields[12]));
  }
  return ticks;
}
