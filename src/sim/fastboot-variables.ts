// `getvar:<name>`, answered the way AOSP-compatible bootloaders answer: sizes in hex with 0x
// (AOSP's client assumes hex), yes/no flags, per-partition variables. The standard AOSP variables
// are common to every model; each model adds the ones it names its own way (`vendor`).
import { FASTBOOT_PROTOCOL_VERSION, BOOT_SLOTS, SLOTTED_PARTITIONS, type PartitionSpec } from './platform.ts';

/** What the variables are computed from: a snapshot of the handset. */
export interface VariableSource {
  readonly serial: string;
  readonly product: string;
  readonly maxDownloadSize: number;
  readonly currentBootSlot: string;
  /** The model's SECURE_BOOT fuse is burned. */
  readonly secure: boolean;
  /** The model's own variables (identity, lock state, battery), in listing order. */
  readonly vendor: readonly [string, string][];
  readonly partitions: readonly PartitionSpec[];
  readonly overrides: Readonly<Record<string, string>>;
}

const yesNo = (value: boolean): string => (value ? 'yes' : 'no');
const hex = (value: number): string => `0x${value.toString(16)}`;

function deviceVariables(source: VariableSource): [string, string][] {
  return [
    ['version', FASTBOOT_PROTOCOL_VERSION],
    ['product', source.product],
    ['serialno', source.serial],
    ...source.vendor,
    ['secure', yesNo(source.secure)],
    ['max-download-size', hex(source.maxDownloadSize)],
    ['current-slot', source.currentBootSlot],
    ['slot-count', String(BOOT_SLOTS.length)],
    ['is-userspace', 'no'],
  ];
}

/** Base names that `has-slot:` knows: slotted bases and the partitions without slots. */
function slotAnswers(source: VariableSource): [string, string][] {
  const slotted = new Set(SLOTTED_PARTITIONS);
  const unslotted = source.partitions.map((spec) => spec.name).filter((name) => !slotted.has(name.replace(/_[ab]$/, '')));
  return [...SLOTTED_PARTITIONS.map((base): [string, string] => [base, 'yes']), ...unslotted.map((name): [string, string] => [name, 'no'])];
}

/** Every variable in the order `getvar:all` lists them. */
export function allVariables(source: VariableSource): [string, string][] {
  const variables = [
    ...deviceVariables(source),
    ...slotAnswers(source).map(([name, value]): [string, string] => [`has-slot:${name}`, value]),
    ...source.partitions.flatMap((spec): [string, string][] => [
      [`partition-size:${spec.name}`, hex(spec.size)],
      [`partition-type:${spec.name}`, spec.type],
      [`is-logical:${spec.name}`, 'no'],
    ]),
  ];
  return variables.map(([name, value]) => [name, overrideOf(source, name) ?? value]);
}

/** The answer to `getvar:<name>`, or null for a variable this bootloader does not know. */
export function variable(source: VariableSource, name: string): string | null {
  const override = overrideOf(source, name);
  if (override !== undefined) return override;
  for (const [known, value] of allVariables(source)) if (known === name) return value;
  // A full partition name (boot_a) has no slots of its own: real bootloaders answer no.
  if (name.startsWith('has-slot:') && source.partitions.some((spec) => `has-slot:${spec.name}` === name)) return 'no';
  return null;
}

/** Own keys only: a host asking for `getvar:__proto__` must not reach the object's prototype. */
function overrideOf(source: VariableSource, name: string): string | undefined {
  return Object.hasOwn(source.overrides, name) ? source.overrides[name] : undefined;
}
