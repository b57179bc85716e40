// Virtual handset benchmark: `lockstep sim` in its own process (unthrottled link and flash) takes
// a 128 MiB and then a 1 GiB image from AOSP `fastboot` over TCP loopback (split by its 256 MiB
// max-download-size), hashes the 1 GiB with `oem sha256`, and hashes the empty 4 GiB userdata.
// Printed: times, throughput, the simulator's peak RSS after each step and the disk the partition
// really uses; references measured in the same run: `cp` of the image (the disk write floor) and
// `sha256sum` of it (the hashing floor). Target: the simulator's memory does not grow with image
// or partition size (peak RSS after 1 GiB within 16 MB of the peak after 128 MiB).
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const MiB = 1024 * 1024;
const IMAGE_MIB = 1024;
const LOCKSTEP = resolve(import.meta.dirname, '../bin/lockstep.js');

for (const tool of ['/usr/bin/fastboot', '/usr/bin/sha256sum', '/usr/bin/cp']) {
  if (!existsSync(tool)) {
    process.stderr.write(`sim bench: ${tool} is missing\n`);
    process.exit(1);
  }
}

const work = mkdtempSync(join(tmpdir(), 'lockstep-sim-bench-'));
const stateDir = join(work, 'state');
const scenarioPath = join(work, 'scenario.json');
writeFileSync(scenarioPath, JSON.stringify({ timing: { linkBytesPerSecond: 0, flashBytesPerSecond: 0, rebootMs: 0 }, devices: [{ serial: 'BENCH0001' }] }));
const sim = spawn(process.execPath, [LOCKSTEP, 'sim', '--tcp', '0', '--state', stateDir, '--scenario', scenarioPath], { stdio: ['ignore', 'pipe', 'inherit'] });
try {
  const address = await simAddress();
  const idle = peakRssMb(sim.pid ?? 0);
  const small = join(work, 'small.img');
  await writeImage(small, 128);
  await run('/usr/bin/fastboot', ['-s', address, 'flash', 'system_b', small]);
  const peakAfterSmall = peakRssMb(sim.pid ?? 0);
  rmSync(small);
  const image = join(work, 'image.img');
  await writeImage(image, IMAGE_MIB);

  const copy = await timed(() => run('/usr/bin/cp', [image, join(work, 'copy.img')]));
  rmSync(join(work, 'copy.img'));
  const flash = await timed(() => run('/usr/bin/fastboot', ['-s', address, 'flash', 'system_a', image]));
  const peakAfterFlash = peakRssMb(sim.pid ?? 0);
  const hashFloor = await timed(() => run('/usr/bin/sha256sum', [image]));
  const hash = await timed(() => run('/usr/bin/fastboot', ['-s', address, 'oem', 'sha256', 'system_a', `0x${(IMAGE_MIB * MiB).toString(16)}`]));
  const digest = [...hash.value.matchAll(/\(bootloader\) ([0-9a-f]{32})$/gm)].map((match) => match[1]).join('');
  if (digest !== hashFloor.value.slice(0, 64)) throw new Error(`device hash ${digest} differs from sha256sum ${hashFloor.value.slice(0, 64)}`);
  const userdata = await timed(() => run('/usr/bin/fastboot', ['-s', address, 'oem', 'sha256', 'userdata', '0x100000000']));

  const partition = join(stateDir, readdirSync(stateDir)[0] ?? '', 'partitions', 'system_a.img');
  const peak = peakRssMb(sim.pid ?? 0);
  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  out(`1 GiB image (25% random, 75% zeros) into system_a over TCP loopback, unthrottled, AOSP fastboot as the host:`);
  out(`  fastboot flash            ${flash.seconds.toFixed(2)} s  ${(IMAGE_MIB / flash.seconds).toFixed(0)} MiB/s`);
  out(`  reference: cp             ${copy.seconds.toFixed(2)} s  ratio flash/cp ${(flash.seconds / copy.seconds).toFixed(2)}`);
  out(`  oem sha256 system_a 1 GiB ${hash.seconds.toFixed(2)} s`);
  out(`  reference: sha256sum      ${hashFloor.seconds.toFixed(2)} s  ratio ${(hash.seconds / hashFloor.seconds).toFixed(2)}`);
  out(`  oem sha256 userdata 4 GiB ${userdata.seconds.toFixed(2)} s (an erased, unallocated partition)`);
  out(`  system_a on disk          ${(statSync(partition).blocks * 512 / MiB).toFixed(0)} MiB allocated of ${(statSync(partition).size / MiB).toFixed(0)} MiB`);
  out(`  simulator peak RSS        ${idle.toFixed(0)} MB idle, ${peakAfterSmall.toFixed(0)} MB after a 128 MiB flash, ${peakAfterFlash.toFixed(0)} MB after the 1 GiB flash, ${peak.toFixed(0)} MB after hashing 5 GiB`);
  out(`  growth 128 MiB -> 1 GiB   ${(peakAfterFlash - peakAfterSmall).toFixed(0)} MB  (target: flat, under 16 MB: ${peakAfterFlash - peakAfterSmall < 16 ? 'met' : 'NOT met'})`);
} finally {
  sim.kill('SIGTERM');
  await new Promise((done) => sim.once('exit', done));
  rmSync(work, { recursive: true, force: true });
}

/** Reads the address the simulator prints, and keeps draining its output so it can write on exit. */
function simAddress(): Promise<string> {
  let output = '';
  return new Promise((done, fail) => {
    sim.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /\ttcp:(127\.0\.0\.1:\d+)$/m.exec(output);
      if (match && output.includes('Press Ctrl-C')) done(`tcp:${match[1]}`);
    });
    sim.once('exit', () => fail(new Error(`lockstep sim did not start:\n${output}`)));
  });
}

/** 256 MiB of random data in 1 MiB pieces spread over the image; the rest is zeros, as system images mostly are. */
async function writeImage(path: string, sizeMib: number): Promise<void> {
  const file = await open(path, 'w');
  try {
    for (let mib = 0; mib < sizeMib; mib++) await file.write(mib % 4 === 0 ? randomBytes(MiB) : Buffer.alloc(MiB), 0, MiB, mib * MiB);
  } finally {
    await file.close();
  }
}

function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((done, fail) =>
    execFile(command, args, { encoding: 'utf8', maxBuffer: 16 * MiB }, (error, stdout, stderr) => (error ? fail(new Error(`${command} ${args.join(' ')}: ${stderr}`)) : done(stdout + stderr))),
  );
}

async function timed(action: () => Promise<string>): Promise<{ seconds: number; value: string }> {
  const started = performance.now();
  const value = await action();
  return { seconds: (performance.now() - started) / 1000, value };
}

/** VmHWM of a live process: its peak resident set. */
function peakRssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((entry) => entry.startsWith('VmHWM:')) ?? 'VmHWM: 0 kB';
  return Number(line.replace(/\D+/g, '')) / 1024;
}
