// The reference a depot would otherwise use: one AOSP `fastboot` sequence per handset, all handsets at
// once, each command its own process as a shell script runs them (flash every partition, ask for each
// partition's hash, program the fuses, read them back, lock, reboot). Used by provision.bench.ts to set
// Lockstep's batch beside it on the same images and a fresh simulator of the same timing.
import { execFile } from 'node:child_process';
import type { CommandLogEntry } from '../src/sim/index.ts';

const FASTBOOT = '/usr/bin/fastboot';
const TIME = '/usr/bin/time';

export interface AospImage {
  /** The partition as written, slot suffix included (`system_a`). */
  readonly partition: string;
  /** The image file as a depot's build hands it over (raw or sparse); AOSP fastboot sparses a raw one itself when it must split it. */
  readonly path: string;
  /** The partition's bytes once written, for `oem sha256`. */
  readonly expandedBytes: number;
}

export interface AospBatch {
  /** Per handset, the largest peak RSS of its sequence's processes (they run one after another). */
  readonly peakRssMb: readonly number[];
}

/** The fastboot arguments of one handset's sequence, after `-s ADDRESS`. */
export function aospSequence(images: readonly AospImage[], fuse: { bank: number; word: number; mask: number }): string[][] {
  return [
    ...images.map((image) => ['flash', image.partition, image.path]),
    ...images.map((image) => ['oem', 'sha256', image.partition, String(image.expandedBytes)]),
    ['oem', 'fuse', 'prog', String(fuse.bank), String(fuse.word), `0x${fuse.mask.toString(16)}`],
    ['oem', 'fuse', 'read', String(fuse.bank), String(fuse.word)],
    ['flashing', 'lock'],
    ['reboot'],
  ];
}

/** Runs `sequence` against every handset at once (TCP ports of one `lockstep sim`); rejects if any command fails. */
export async function runAospBatch(ports: readonly number[], sequence: readonly (readonly string[])[]): Promise<AospBatch> {
  const peakRssMb = await Promise.all(
    ports.map(async (port) => {
      let peak = 0;
      for (const args of sequence) peak = Math.max(peak, await fastboot([`-s`, `tcp:127.0.0.1:${port}`, ...args]));
      return peak;
    }),
  );
  return { peakRssMb };
}

/**
 * A handset's flash window from the simulator's command log: from its first command to the command
 * that follows its last `flash:` (when the last write was done). The same measure for both senders.
 */
export function flashWindow(log: readonly CommandLogEntry[]): { from: number; to: number } {
  const at = log.map((entry) => Date.parse(entry.time));
  const lastFlash = log.findLastIndex((entry) => entry.channel === 'fastboot' && entry.command.startsWith('flash:'));
  const done = at[lastFlash + 1];
  if (lastFlash < 0 || done === undefined || at[0] === undefined) throw new Error('the command log holds no finished flash');
  return { from: at[0], to: done };
}

/** One fastboot process under GNU time; its peak RSS in MB. */
function fastboot(args: readonly string[]): Promise<number> {
  return new Promise((done, fail) => {
    execFile(TIME, ['-f', 'lockstep-time rss-kib=%M', FASTBOOT, ...args], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, _stdout, stderr) => {
      if (error) return fail(new Error(`fastboot ${args.join(' ')}: ${stderr.trim() || error.message}`));
      const match = /lockstep-time rss-kib=(\d+)/.exec(stderr);
      if (!match) return fail(new Error(`no figures from GNU time for fastboot ${args.join(' ')}: ${stderr}`));
      done((Number(match[1]) * 1024) / 1e6);
    });
  });
}
