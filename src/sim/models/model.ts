// A handset model is the firmware of one kind of handset: how its bootloader names identity
// variables, which vendor commands it takes, where its fuses sit, and the AT command set of its
// OS. Models are written in code, never read from resources/profiles: the simulator plays the
// device, so a profile that gets a command wrong must fail against it rather than be echoed back.
import type { SimHandset } from '../handset.ts';
import type { RunningSystem } from '../running-system.ts';

export const MODEL_IDS = ['lockstep-ref', 'kestrel-k2'] as const;
export type ModelId = (typeof MODEL_IDS)[number];

export interface FuseBit {
  readonly bank: number;
  readonly word: number;
  readonly bit: number;
}

export type FuseName = 'SECURE_BOOT' | 'CAMERA_DISABLE' | 'GPS_DISABLE';

/** What a handset of this model answers when the scenario does not say otherwise. */
export interface ModelFactoryIdentity {
  readonly product: string;
  readonly hwRevision: string;
  readonly bootloaderVersion: string;
  /** Millivolts, as the bootloader answers its battery variable. */
  readonly batteryVoltage: string;
  readonly usb: { readonly vendorId: number; readonly productId: number };
}

/** An AT answer: information lines, then the final result line (`OK`, `ERROR`, `+CME ERROR: <n>`). */
export interface AtAnswer {
  readonly lines: readonly string[];
  readonly final: string;
}

/** What the bootloader knows of itself, for the variables each dialect names differently. */
export interface BootloaderFacts {
  readonly hwRevision: string;
  readonly bootloaderVersion: string;
  readonly batteryVoltage: string;
  readonly unlocked: boolean;
}

export type AtHandler = (system: RunningSystem) => AtAnswer | Promise<AtAnswer>;

export interface HandsetModel {
  readonly id: ModelId;
  readonly factory: ModelFactoryIdentity;
  /** SECURE_BOOT is burned at the factory; the other two are what provisioning burns. */
  readonly fuses: Readonly<Record<FuseName, FuseBit>>;
  /** The variables this bootloader names its own way (identity, lock state, battery), in `getvar:all` order. */
  vendorVariables(facts: BootloaderFacts): [string, string][];
  /**
   * Every fastboot command past the AOSP core (`oem …`, `flashing …`), split into words. Resolves
   * when the command succeeded (the session answers OKAY); throws a Refusal for FAIL.
   */
  vendorCommand(handset: SimHandset, words: readonly string[], info: (text: string) => void): Promise<void>;
  /** The OS's AT commands besides `AT` and `ATE<n>`, keyed by their upper-case text. */
  readonly atCommands: Readonly<Record<string, AtHandler>>;
}

export const ok = (...lines: string[]): AtAnswer => ({ lines, final: 'OK' });
export const atError = (final = 'ERROR'): AtAnswer => ({ lines: [], final });

/** The fuse word value with only this bit set. */
export function fuseMask(fuse: FuseBit): number {
  return (1 << fuse.bit) >>> 0;
}
