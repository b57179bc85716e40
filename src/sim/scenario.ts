// The scenario file: a fleet of virtual handsets, their identities, timing and injected faults.
// It is read from disk, so every field is validated and an error names the field at fault.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { formatSlot, parseSlot } from '../shared/handset.ts';
import { isValidImei } from '../shared/imei.ts';
import { describeIssues } from '../shared/zod-issues.ts';
import { JsonFileError, readJsonFile } from '../lib/json/read-json-file.ts';
import { fuseMask, MODEL_IDS, MODELS } from './models/index.ts';
import { FUSE_BANKS, FUSE_WORDS_PER_BANK } from './platform.ts';

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
/** Which engine a command fault watches: the bootloader's fastboot commands or the OS's AT commands. */
const channel = z.enum(['fastboot', 'at']).default('fastboot');

/** A USB port path as the station spells slots (`1-3.2`), kept in that one spelling. */
const usbPort = z.string().transform((text, context) => {
  const slot = text.length <= 40 ? parseSlot(text) : null;
  if (slot === null || 'problem' in slot || slot.kind !== 'usb') {
    context.addIssue({ code: 'custom', message: 'a USB port path: bus-port(.port)…, e.g. 1-3.2, numbers up to 255, at most 7 ports' });
    return z.NEVER;
  }
  return formatSlot(slot);
});

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
  z
    .object({
      kind: z.literal('detach-after'),
      /** A fastboot command (prefix) that runs to the end, after which the handset drops off the bus before answering. */
      command: commandPrefix,
      /** When the handset comes back in fastboot; null = only when plugged in again. */
      reattachAfterMs: count.nullable().default(2_000),
      times,
    })
    .strict(),
  z.object({ kind: z.literal('fail'), on: channel, command: commandPrefix, message: z.string().max(1024), times }).strict(),
  z.object({ kind: z.literal('stall'), on: channel, command: commandPrefix, times }).strict(),
  z.object({ kind: z.literal('fuse-readback'), bank, word, clearBits: uint32.refine((bits) => bits !== 0, 'must name at least one bit') }).strict(),
  z.object({ kind: z.literal('slow-link'), bytesPerSecond: z.number().int().positive() }).strict(),
  z.object({ kind: z.literal('reboot-hang'), times }).strict(),
  z.object({ kind: z.literal('at-noise') }).strict(),
  z.object({ kind: z.literal('capability-lie'), capability: z.enum(['camera', 'gps']) }).strict(),
]);

const deviceSchema = z
  .object({
    serial: identity,
    /** Which firmware the handset runs: its fastboot and AT dialects, fuse map and factory identity. */
    model: z.enum(MODEL_IDS).default('lockstep-ref'),
    /** Identity fields left out take the model's factory values. */
    product: identity.optional(),
    hwRevision: identity.optional(),
    bootloaderVersion: identity.optional(),
    /** Millivolts as the bootloader answers its battery variable (a string, so it can be hostile too). */
    batteryVoltage: identity.optional(),
    /** What the OS answers for its IMEI; a string, so it can fail Luhn or be hostile. */
    imei: identity.optional(),
    unlocked: z.boolean().default(true),
    /** 4 KiB up to what `download:%08x` can express. */
    maxDownloadSize: z.number().int().min(4096).max(UINT32_MAX).default(256 * 1024 * 1024),
    /** Fuse words as they leave the factory; only applied when the handset has no saved state yet. */
    fuses: z.array(z.object({ bank, word, value: uint32 }).strict()).max(FUSE_BANKS * FUSE_WORDS_PER_BANK).optional(),
    usb: z.object({ vendorId: z.number().int().min(0).max(0xffff), productId: z.number().int().min(0).max(0xffff) }).strict().optional(),
    /** Where the handset is plugged in; the fleet gives device i `1-1.<i+1>` when left out. */
    usbPort: usbPort.optional(),
    /** Answers that replace the bootloader's own for `getvar:<name>`, to play a misbehaving device. */
    getvarOverrides: z.record(z.string().min(1).max(64), identity).default({}),
    faults: z.array(faultSchema).max(64).default([]),
  })
  .strict()
  .transform((device) => {
    const { factory, fuses } = MODELS[device.model];
    return {
      ...device,
      product: device.product ?? factory.product,
      hwRevision: device.hwRevision ?? factory.hwRevision,
      bootloaderVersion: device.bootloaderVersion ?? factory.bootloaderVersion,
      batteryVoltage: device.batteryVoltage ?? factory.batteryVoltage,
      imei: device.imei ?? defaultImei(device.serial),
      fuses: device.fuses ?? [{ bank: fuses.SECURE_BOOT.bank, word: fuses.SECURE_BOOT.word, value: fuseMask(fuses.SECURE_BOOT) }],
      usb: device.usb ?? { ...factory.usb },
    };
  });

export const scenarioSchema = z
  .object({
    timing: timingSchema.optional(),
    devices: z.array(deviceSchema).min(1).max(MAX_FLEET_SIZE),
  })
  .strict()
  .transform((scenario) => ({
    ...scenario,
    devices: scenario.devices.map((device, index) => ({ ...device, usbPort: device.usbPort ?? `1-1.${index + 1}` })),
  }))
  .superRefine((scenario, context) => {
    const serials = new Set<string>();
    const ports = new Set<string>();
    scenario.devices.forEach((device, index) => {
      if (serials.has(device.serial)) context.addIssue({ code: 'custom', path: ['devices', index, 'serial'], message: 'serial number is used by an earlier device' });
      if (ports.has(device.usbPort)) context.addIssue({ code: 'custom', path: ['devices', index, 'usbPort'], message: `port ${device.usbPort} is taken by an earlier device` });
      serials.add(device.serial);
      ports.add(device.usbPort);
    });
  });

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioDevice = Scenario['devices'][number];
export type Fault = ScenarioDevice['faults'][number];

/**
 * A valid IMEI that stays the same for a serial number: TAC prefix 35, twelve digits from the
 * serial's SHA-256, and the Luhn check digit that makes it valid.
 */
export function defaultImei(serial: string): string {
  const digest = createHash('sha256').update(serial, 'utf8').digest();
  const body = `35${[...digest.subarray(0, 12)].map((byte) => byte % 10).join('')}`;
  const check = [...'0123456789'].find((digit) => isValidImei(body + digit));
  return body + (check as string);
}

export class ScenarioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioError';
  }
}

/**
 * Validates a parsed scenario; the error lists each problem with the path of its field. `source`
 * names the scenario in that error, already escaped for display.
 */
export function parseScenario(value: unknown, source = 'scenario'): Scenario {
  const result = scenarioSchema.safeParse(value);
  if (result.success) return result.data;
  throw new ScenarioError(`${source} is not a valid scenario:\n${describeIssues(result.error)}`);
}

export async function loadScenario(path: string): Promise<Scenario> {
  try {
    return await readJsonFile(path, scenarioSchema, { what: 'scenario file', maxBytes: MAX_SCENARIO_FILE_BYTES });
  } catch (error) {
    if (error instanceof JsonFileError) throw new ScenarioError(error.message);
    throw error;
  }
}

/**
 * The highest number `defaultScenario` gives a handset: handset N is plugged in at USB port
 * `1-1.<N>`, and a port number goes up to 255.
 */
export const MAX_HANDSET_NUMBER = 255;

/**
 * `count` reference handsets numbered from `first`: serials LSIM0001, LSIM0002, … (from
 * LSIM<first>), plugged in at USB ports 1-1.1, 1-1.2, … (from 1-1.<first>). Several simulators
 * serving one station's fleet each take their own numbers, so no two of their handsets share a
 * serial or a port.
 */
export function defaultScenario(count: number, first = 1): Scenario {
  if (!Number.isInteger(count) || count < 1 || count > MAX_FLEET_SIZE) throw new ScenarioError(`a fleet has 1 to ${MAX_FLEET_SIZE} handsets, not ${count}`);
  if (!Number.isInteger(first) || first < 1 || first + count - 1 > MAX_HANDSET_NUMBER) {
    throw new ScenarioError(`handsets are numbered 1 to ${MAX_HANDSET_NUMBER} (USB port 1-1.<number>): ${count} from ${first} would end at ${first + count - 1}`);
  }
  const numbers = Array.from({ length: count }, (_, index) => first + index);
  return parseScenario({ devices: numbers.map((number) => ({ serial: `LSIM${String(number).padStart(4, '0')}`, usbPort: `1-1.${number}` })) });
}
