// The scenario file: a fleet of virtual handsets, their identities, timing and injected faults.
// It is read from disk, so every field is validated and an error names the field at fault.
import { readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
import { DEFAULT_USB_IDS, FUSE_BANKS, FUSE_WORDS_PER_BANK, FUSE_BITS } from './reference-model.ts';

/** A scenario larger than this is not a fleet description; refuse it before reading it. */
export const MAX_SCENARIO_FILE_BYTES = 32 * 1024 * 1024;
/** Identity strings may be hostile (that is the point), but bounded. */
const MAX_IDENTITY_CHARS = 4 * 1024 * 1024;
export const MAX_FLEET_SIZE = 64;
const UINT32_MAX = 0xffff_ffff;

export interface SimTiming {
  /** Bytes per second over the link while downloading; 0 = unthrottled. */
  readonly linkBytesPerSecond: number;
  /** Bytes per second written to a partition by flash; 0 = unthrottled. */
  readonly flashBytesPerSecond: number;
  /** Time between a reboot command and the handset being up again. */
  readonly rebootMs: number;
}

/** USB 2.0 high speed as a bulk fastboot download achieves it, eMMC writes, a bootloader reboot. */
export const DEFAULT_TIMING: SimTiming = { linkBytesPerSecond: 40_000_000, flashBytesPerSecond: 80_000_000, rebootMs: 8_000 };

/** `--demo` runs the same fleet this many times faster, so a demonstration does not wait on a real handset's pace. */
export const DEMO_SPEEDUP = 5;

export function accelerate(timing: SimTiming, factor: number): SimTiming {
  return {
    linkBytesPerSecond: timing.linkBytesPerSecond * factor,
    flashBytesPerSecond: timing.flashBytesPerSecond * factor,
    rebootMs: Math.round(timing.rebootMs / factor),
  };
}

const count = z.number().int().nonnegative();
const uint32 = z.number().int().min(0).max(UINT32_MAX);
const identity = z.string().max(MAX_IDENTITY_CHARS);
const commandPrefix = z.string().min(1).max(64);
const times = z.union([z.number().int().positive(), z.literal('always')]).default(1);
const bank = z.number().int().min(0).max(FUSE_BANKS - 1);
const word = z.number().int().min(0).max(FUSE_WORDS_PER_BANK - 1);

const timingSchema = z
  .object({ linkBytesPerSecond: count, flashBytesPerSecond: count, rebootMs: count.max(600_000) })
  .partial()
  .strict();

const faultSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('detach'),
      /** Bytes of one download after which the handset drops off the bus. */
      afterDownloadBytes: count,
      /** When the handset comes back in fastboot; null = only when plugged in again. */
      reattachAfterMs: count.nullable().default(2_000),
      times,
    })
    .strict(),
  z.object({ kind: z.literal('fail'), command: commandPrefix, message: z.string().max(1024), times }).strict(),
  z.object({ kind: z.literal('stall'), command: commandPrefix, times }).strict(),
  z.object({ kind: z.literal('fuse-readback'), bank, word, clearBits: uint32.refine((bits) => bits !== 0, 'must name at least one bit') }).strict(),
  z.object({ kind: z.literal('slow-link'), bytesPerSecond: z.number().int().positive() }).strict(),
]);

const deviceSchema = z
  .object({
    serial: identity,
    product: identity.default('lockstep-ref'),
    hwRevision: identity.default('B2'),
    bootloaderVersion: identity.default('LSBL-1.4.2'),
    /** Millivolts as the bootloader answers `getvar:battery-voltage` (a string, so it can be hostile too). */
    batteryVoltage: identity.default('4100'),
    unlocked: z.boolean().default(true),
    /** 4 KiB up to what `download:%08x` can express. */
    maxDownloadSize: z.number().int().min(4096).max(UINT32_MAX).default(256 * 1024 * 1024),
    /** Fuse words as they leave the factory; only applied when the handset has no saved state yet. */
    fuses: z.array(z.object({ bank, word, value: uint32 }).strict()).max(FUSE_BANKS * FUSE_WORDS_PER_BANK).default([{ bank: 3, word: 0, value: FUSE_BITS.SECURE_BOOT }]),
    usb: z.object({ vendorId: z.number().int().min(0).max(0xffff), productId: z.number().int().min(0).max(0xffff) }).strict().default({ ...DEFAULT_USB_IDS }),
    /** Answers that replace the bootloader's own for `getvar:<name>`, to play a misbehaving device. */
    getvarOverrides: z.record(z.string().min(1).max(64), identity).default({}),
    faults: z.array(faultSchema).max(64).default([]),
  })
  .strict();

export const scenarioSchema = z
  .object({
    timing: timingSchema.optional(),
    devices: z.array(deviceSchema).min(1).max(MAX_FLEET_SIZE),
  })
  .strict()
  .superRefine((scenario, context) => {
    const seen = new Set<string>();
    scenario.devices.forEach((device, index) => {
      if (seen.has(device.serial)) context.addIssue({ code: 'custom', path: ['devices', index, 'serial'], message: 'serial number is used by an earlier device' });
      seen.add(device.serial);
    });
  });

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioDevice = Scenario['devices'][number];
export type Fault = ScenarioDevice['faults'][number];

export class ScenarioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioError';
  }
}

/** Validates a parsed scenario; the error lists each problem with the path of its field. */
export function parseScenario(value: unknown, source = 'scenario'): Scenario {
  const result = scenarioSchema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 20).map((issue) => `  ${fieldPath(issue.path)}: ${issue.message}`);
  const more = result.error.issues.length > 20 ? [`  … and ${result.error.issues.length - 20} more`] : [];
  throw new ScenarioError(`${source} is not a valid scenario:\n${[...problems, ...more].join('\n')}`);
}

export async function loadScenario(path: string): Promise<Scenario> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    throw new ScenarioError(`cannot read scenario file ${path}: ${(error as Error).message}`);
  }
  if (size > MAX_SCENARIO_FILE_BYTES) throw new ScenarioError(`scenario file ${path} is ${size} bytes; the limit is ${MAX_SCENARIO_FILE_BYTES}`);
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new ScenarioError(`scenario file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseScenario(value, path);
}

/** `count` reference handsets with serials LSIM0001, LSIM0002, … */
export function defaultScenario(count: number): Scenario {
  if (!Number.isInteger(count) || count < 1 || count > MAX_FLEET_SIZE) throw new ScenarioError(`a fleet has 1 to ${MAX_FLEET_SIZE} handsets, not ${count}`);
  return parseScenario({ devices: Array.from({ length: count }, (_, index) => ({ serial: `LSIM${String(index + 1).padStart(4, '0')}` })) });
}

function fieldPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`)).join('');
}
