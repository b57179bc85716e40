// How long a fastboot command may take in all, from sending it to its final answer. INFO lines do
// not extend it: a handset that chatters while it stalls must not hold a flashing place forever.
// Work that grows with its bytes gets those bytes at a minimum rate plus a fixed allowance, and the
// reason travels with the number so a timeout can say why the limit was what it was.
import { DEFAULT_MINIMUM_RATES } from '../../shared/profile.ts';

/** An overall limit for one command, and why it is that long (for the timeout's message). */
export interface Deadline {
  readonly ms: number;
  /** e.g. `16 MiB at the profile's minimum 1 MB/s, plus 20 s`. */
  readonly basis: string;
}

/** The slowest healthy pace of some work, and the fixed time allowed on top of it. */
export interface WorkRate {
  readonly bytesPerSecond: number;
  readonly allowanceMs: number;
  /** Whose rate it is, as the message says it: `the profile's`, `the default`. */
  readonly source: string;
}

/** setTimeout cannot wait longer (about 24.8 days); a longer limit would fire at once. */
export const MAX_DEADLINE_MS = 2 ** 31 - 1;

/** For a flash without a device profile (the bench CLI): the profiles' default rate, a quick command's allowance. */
export const DEFAULT_FLASH_RATE: WorkRate = { bytesPerSecond: DEFAULT_MINIMUM_RATES.flashBytesPerSecond, allowanceMs: 30_000, source: 'the default' };

export function workDeadline(bytes: number, rate: WorkRate): Deadline {
  const ms = Math.min(MAX_DEADLINE_MS, Math.ceil(rate.allowanceMs + (bytes / rate.bytesPerSecond) * 1000));
  return { ms, basis: `${formatBytes(bytes)} at ${rate.source} minimum ${formatRate(rate.bytesPerSecond)}, plus ${formatSeconds(rate.allowanceMs)}` };
}

export function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/** Binary units, as image and partition sizes are. */
export function formatBytes(bytes: number): string {
  return scaled(bytes, 1024, ['bytes', 'KiB', 'MiB', 'GiB', 'TiB']);
}

/** Decimal units, as transfer rates are. */
export function formatRate(bytesPerSecond: number): string {
  return scaled(bytesPerSecond, 1000, ['B/s', 'kB/s', 'MB/s', 'GB/s', 'TB/s']);
}

function scaled(value: number, step: number, units: readonly string[]): string {
  let unit = 0;
  for (; value >= step && unit < units.length - 1; unit++) value /= step;
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}
