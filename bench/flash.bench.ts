// Flash benchmark: the same 512 MiB image flashed over TCP loopback into the same (unthrottled)
// virtual handset by our client (`lockstep fastboot`) and by AOSP's `fastboot`, each in its own
// process, alternating, best of two; then our client alone with a 2 GiB image. Prints wall times,
// the ratio ours/AOSP and each process's peak RSS. Targets: ours ≤ AOSP; our peak RSS < 150 MB at 2 GiB.
import { spawn } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createSimFleet, defaultScenario } from '../src/sim/index.ts';

const MiB = 1024 * 1024;
const FASTBOOT = '/usr/bin/fastboot';
const TIME = '/usr/bin/time';
const LOCKSTEP = resolve(import.meta.dirname, '../bin/lockstep.js');
const PARTITION = 'system_a';

interface Run {
  readonly seconds: number;
  readonly peakRssMb: number | null;
  /** The flash alone as `lockstep fastboot` reports it (without process start-up), when it says. */
  readonly flashSeconds: number | null;
}

for (const tool of [FASTBOOT, TIME]) {
  if (!existsSync(tool)) {
    process.stderr.write(`flash bench: ${tool} is missing (apt-get install ${tool.endsWith('time') ? 'time' : 'fastboot'})\n`);
    process.exit(1);
  }
}

const work = mkdtempSync(join(tmpdir(), 'lockstep-flash-bench-'));
const scenario = { ...defaultScenario(1), timing: { linkBytesPerSecond: 0, flashBytesPerSecond: 0, rebootMs: 0 } };
const fleet = await createSimFleet({ scenario, stateDir: join(work, 'state') });
try {
  const [port] = await fleet.serveTcp(0);
  const handset = fleet.handsets[0];
  if (port === undefined || handset === undefined) throw new Error('the simulator started no handset');
  const address = `tcp:127.0.0.1:${port}`;

  const image = join(work, 'image-512m.img');
  const imageSha = await writeImage(image, 512 * MiB);
  const ours = (): Promise<Run> => measure(process.execPath, [LOCKSTEP, 'fastboot', '-s', address, 'flash', PARTITION, image]);
  const aosp = (): Promise<Run> => measure(FASTBOOT, ['-s', address, 'flash', PARTITION, image]);
  const runs: { ours: Run[]; aosp: Run[] } = { ours: [], aosp: [] };
  for (let round = 0; round < 2; round++) {
    runs.aosp.push(await checked(aosp, 'AOSP fastboot'));
    runs.ours.push(await checked(ours, 'lockstep fastboot'));
  }
  const best = (list: Run[]): Run => list.reduce((a, b) => (a.seconds <= b.seconds ? a : b));
  const [o, a] = [best(runs.ours), best(runs.aosp)];
  const rate = (run: Run): string => `${(512 / run.seconds).toFixed(0)} MiB/s`;
  process.stdout.write(`512 MiB raw image over TCP loopback into ${PARTITION} (max-download-size ${scenario.devices[0]?.maxDownloadSize ?? 'default'}), best of 2:\n`);
  process.stdout.write(`  AOSP fastboot      ${a.seconds.toFixed(2)} s  ${rate(a)}  peak RSS ${mb(a.peakRssMb)}\n`);
  process.stdout.write(`  lockstep fastboot  ${o.seconds.toFixed(2)} s  ${rate(o)}  peak RSS ${mb(o.peakRssMb)}\n`);
  process.stdout.write(`  ratio ours/AOSP    ${(o.seconds / a.seconds).toFixed(2)}  (target ≤ 1.00: ${o.seconds <= a.seconds ? 'met' : 'NOT met'})\n`);
  const startup = await measure(process.execPath, [LOCKSTEP, '--version']);
  process.stdout.write(`  of which lockstep start-up (lockstep --version: ${startup.seconds.toFixed(2)} s, ${mb(startup.peakRssMb)}); the flash itself took ${o.flashSeconds?.toFixed(2) ?? 'n/a'} s by the CLI's own clock\n`);
  // What the CLI would cost with Node's compile cache (type-stripped modules cached on disk), warmed once.
  const cached = { NODE_COMPILE_CACHE: join(work, 'compile-cache') };
  await measure(process.execPath, [LOCKSTEP, '--version'], cached);
  const withCache = await checked(() => measure(process.execPath, [LOCKSTEP, 'fastboot', '-s', address, 'flash', PARTITION, image], cached), 'lockstep fastboot (compile cache)');
  process.stdout.write(`  lockstep fastboot with NODE_COMPILE_CACHE: ${withCache.seconds.toFixed(2)} s  peak RSS ${mb(withCache.peakRssMb)}  ratio ${(withCache.seconds / a.seconds).toFixed(2)}\n`);
  rmSync(image);

  const big = join(work, 'image-2g.img');
  const bigSha = await writeImage(big, 2048 * MiB);
  const large = await measure(process.execPath, [LOCKSTEP, 'fastboot', '-s', address, 'flash', PARTITION, big]);
  await verify(bigSha, 2048 * MiB, 'lockstep fastboot (2 GiB)');
  process.stdout.write(`2 GiB raw image, lockstep fastboot: ${large.seconds.toFixed(2)} s  ${(2048 / large.seconds).toFixed(0)} MiB/s  peak RSS ${mb(large.peakRssMb)}  (target < 150 MB: ${large.peakRssMb !== null && large.peakRssMb < 150 ? 'met' : 'NOT met'})\n`);

  /** Runs one flash, then proves the partition holds the image (a fast wrong flash proves nothing). */
  async function checked(run: () => Promise<Run>, who: string): Promise<Run> {
    const result = await run();
    await verify(imageSha, 512 * MiB, who);
    return result;
  }

  async function verify(sha: string, bytes: number, who: string): Promise<void> {
    const actual = await handset?.partitionSha256(PARTITION, bytes);
    if (actual !== sha) throw new Error(`${who} left ${PARTITION} with SHA-256 ${actual}, expected ${sha}`);
  }
} finally {
  await fleet.close();
  rmSync(work, { recursive: true, force: true });
}

/** Deterministic pseudo-random bytes (AES-CTR keystream of a fixed key), written in 4 MiB chunks. */
async function writeImage(path: string, size: number): Promise<string> {
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16, 0));
  const hash = createHash('sha256');
  const zeros = Buffer.alloc(4 * MiB);
  const file = await open(path, 'w');
  try {
    for (let done = 0; done < size; done += zeros.length) {
      const chunk = cipher.update(zeros.subarray(0, Math.min(zeros.length, size - done)));
      hash.update(chunk);
      await file.write(chunk);
    }
  } finally {
    await file.close();
  }
  return hash.digest('hex');
}

/** Wall time of one child process and its peak RSS as GNU time reports it (`%M`, KiB). */
function measure(command: string, args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolveRun, reject) => {
    const started = performance.now();
    const child = spawn(TIME, ['-f', 'peak-rss-kib=%M', command, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    let stderr = '';
    child.stderr.on('data', (data: Buffer) => (stderr = (stderr + data.toString()).slice(-8192)));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      if (code !== 0) return reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${stderr}`));
      const rss = /peak-rss-kib=(\d+)/.exec(stderr);
      const flash = /piece\(s\), ([\d.]+) s\n/.exec(stderr);
      resolveRun({ seconds, peakRssMb: rss ? (Number(rss[1]) * 1024) / 1e6 : null, flashSeconds: flash ? Number(flash[1]) : null });
    });
  });
}

function mb(value: number | null): string {
  return value === null ? 'n/a' : `${value.toFixed(0)} MB`;
}
