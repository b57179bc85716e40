// Device profiles (docs/profiles.md): everything that differs between handset models, as data. A
// profile maps each abstract operation of the pipeline to the concrete fastboot or AT command of
// one vendor dialect and the pattern its answer must match, names the fuses, and sets the limits
// (battery floor, timeouts). A new handset model is a new JSON file, not new code.
import { describeFailure } from './describe-failure.ts';
import { z } from 'zod';
import { fuseNameSchema, identifierSchema } from './identifiers.ts';

export const PROFILE_SCHEMA_VERSION = 2;

/** Placeholders a command template may use, per operation. */
export const TEMPLATE_PLACEHOLDERS = {
  partitionHash: ['partition', 'bytes', 'bytes:hex'],
  fuseRead: ['bank', 'word'],
  fuseProgram: ['bank', 'word', 'mask', 'mask:hex'],
  none: [],
} as const;
type PlaceholderSet = keyof typeof TEMPLATE_PLACEHOLDERS;

/** Command text the profile author writes: printable ASCII, fits a 64-byte fastboot packet before expansion. */
const COMMAND_TEXT = /^[\x20-\x7e]{1,64}$/;

function template(set: PlaceholderSet) {
  const allowed: readonly string[] = TEMPLATE_PLACEHOLDERS[set];
  return z
    .string()
    .regex(COMMAND_TEXT, 'a command: 1-64 printable ASCII characters')
    .superRefine((text, context) => {
      for (const [, name] of text.matchAll(/\{([^}]*)\}/g)) {
        if (!allowed.includes(name as string)) {
          const known = allowed.length === 0 ? 'this command takes no placeholders' : `known here: ${allowed.map((p) => `{${p}}`).join(' ')}`;
          context.addIssue({ code: 'custom', message: `unknown placeholder {${name}}; ${known}` });
        }
      }
    });
}

/** How many capture groups a pattern has, or why it does not compile. */
export function captureGroups(source: string): number | { readonly problem: string } {
  try {
    // With an empty alternative added, the pattern matches '' and the match lists every group.
    return (new RegExp(`(?:${source})|`).exec('')?.length ?? 1) - 1;
  } catch (error) {
    return { problem: `not a valid regular expression (${describeFailure(error)})` };
  }
}

/** A regular expression from a profile: it must compile, and where a value is read, capture it in group 1. */
function pattern(captures: boolean) {
  return z
    .string()
    .min(1)
    .max(512)
    .superRefine((source, context) => {
      const groups = captureGroups(source);
      if (typeof groups !== 'number') context.addIssue({ code: 'custom', message: groups.problem });
      else if (captures && groups < 1) context.addIssue({ code: 'custom', message: 'must capture the value in group 1, e.g. ^0x([0-9a-f]{8})$' });
    });
}

/** Where a fastboot answer's value is: the OKAY payload, or the INFO lines of the command joined. */
const answerSchema = z.strictObject({ from: z.enum(['okay', 'info']), pattern: pattern(true) });

const getvarName = z.string().regex(/^[A-Za-z0-9_.:-]{1,57}$/, 'a getvar name: 1-57 of A-Z a-z 0-9 _ . : -');
const u16 = z.int().min(0).max(0xffff);
const timeout = (max: number) => z.int().min(100).max(max);
/** 10 kB/s at the least: slower, a 4 GiB partition would need days, longer than a timer can wait. */
const bytesPerSecond = z.int().min(10_000).max(100_000_000_000);

/**
 * The slowest a handset of the model may work and still be healthy. A command whose work grows with
 * its bytes (flashing a piece, hashing a partition) must finish within those bytes at this rate plus
 * a fixed allowance (`timeouts.commandMs` for a flash, `timeouts.hashMs` for a hash), so a stalled
 * handset is cut off in proportion to its work instead of after a fixed ten minutes.
 */
export const DEFAULT_MINIMUM_RATES = { flashBytesPerSecond: 1_000_000, hashBytesPerSecond: 10_000_000 } as const;
const minimumRatesSchema = z.strictObject({
  flashBytesPerSecond: bytesPerSecond.default(DEFAULT_MINIMUM_RATES.flashBytesPerSecond),
  hashBytesPerSecond: bytesPerSecond.default(DEFAULT_MINIMUM_RATES.hashBytesPerSecond),
});

export const fuseBitSchema = z.strictObject({ bank: z.int().min(0).max(255), word: z.int().min(0).max(255), bit: z.int().min(0).max(31) });
export type FuseBit = z.infer<typeof fuseBitSchema>;

/** What an AT check proves with the value it captures (group 1 of its pattern). */
export const AT_CHECK_EXPECTATIONS = ['match', 'luhn-imei', 'bundle-version'] as const;

/**
 * What a check that fails on an answer the handset did give says about the handset, which (with the
 * handset's state) decides the one next action (src/main/pipeline/steps/checks.ts): `defect`, a fault of
 * the handset (the repair bench); `firmware`, it runs another system than the verified bundle; `security`,
 * the running system contradicts a burned fuse or the lock (an alarm: quarantine).
 */
export const AT_CHECK_FINDINGS = ['defect', 'firmware', 'security'] as const;
export type AtCheckFinding = (typeof AT_CHECK_FINDINGS)[number];

/** The languages besides English an operator's front end speaks, in which a profile may word what it shows an operator. */
export const PROFILE_TEXT_LANGUAGES = ['zh-CN'] as const;
export type ProfileTextLanguage = (typeof PROFILE_TEXT_LANGUAGES)[number];

const checkTitleSchema = z.string().min(1).max(80);
const checkFailureSchema = z.string().min(1).max(400);

/** A check's title and failure advice in one language; a language a profile leaves out is shown in English. */
const checkTextsSchema = z.strictObject({ title: checkTitleSchema, failure: checkFailureSchema });
export type CheckTexts = z.infer<typeof checkTextsSchema>;

export const atCheckSchema = z.strictObject({
  id: identifierSchema('check id'),
  /** Shown to the operator: "IMEI", "camera absent". */
  title: checkTitleSchema,
  command: z.string().regex(/^AT[\x20-\x7e]{0,126}$/, 'an AT command: AT followed by up to 126 printable ASCII characters'),
  /** The final result code the check expects: `OK`, or an error (a disabled GPS answers `+CME ERROR: 4`). */
  final: z.enum(['ok', 'error']),
  /** Must match one line of the answer, the final result line included. */
  pattern: pattern(false),
  expect: z.enum(AT_CHECK_EXPECTATIONS),
  /** Which field of the provisioning record the captured value fills. */
  records: z.enum(['imei', 'firmwareVersion']).nullable(),
  /** What a failure means, in words; never what to do next: the station decides that from `finding` and the handset's state. */
  failure: checkFailureSchema,
  finding: z.enum(AT_CHECK_FINDINGS),
  /** `title` and `failure` in the operator's other languages (`{"zh-CN": {"title": …, "failure": …}}`). */
  translations: z.partialRecord(z.enum(PROFILE_TEXT_LANGUAGES), checkTextsSchema).default({}),
});
export type AtCheck = z.infer<typeof atCheckSchema>;

const profileObjectSchema = z
  .strictObject({
    schemaVersion: z.literal(PROFILE_SCHEMA_VERSION),
    id: identifierSchema('profile id'),
    name: z.string().min(1).max(120),
    match: z.strictObject({
      usb: z.array(z.strictObject({ vendorId: u16, productId: u16 })).min(1).max(32),
      /** `getvar:<identity.product>` must answer one of these. */
      products: z.array(identifierSchema('product')).min(1).max(32),
    }),
    /** The getvar variable that answers each identity question. */
    identity: z.strictObject({
      serial: getvarName,
      product: getvarName,
      hwRevision: getvarName,
      bootloaderVersion: getvarName,
      lockState: getvarName,
      batteryMillivolts: getvarName,
    }),
    /** How `identity.lockState` spells the two states. */
    lockStateValues: z.strictObject({ unlocked: z.string().min(1).max(32), locked: z.string().min(1).max(32) }),
    fastboot: z.strictObject({
      partitionHash: z.strictObject({ command: template('partitionHash'), answer: answerSchema }),
      fuseRead: z.strictObject({ command: template('fuseRead'), answer: answerSchema }),
      fuseProgram: z.strictObject({ command: template('fuseProgram') }),
      lock: z.strictObject({ command: template('none') }),
      reboot: z.strictObject({ command: template('none') }),
    }),
    fuses: z.record(fuseNameSchema, fuseBitSchema).refine((fuses) => Object.keys(fuses).length > 0, 'a profile names at least one fuse'),
    batteryFloorMillivolts: z.int().min(0).max(10_000),
    timeouts: z.strictObject({
      /** Quick fastboot commands (getvar, fuse read/program, lock), from sending to the answer; also a flash's allowance. */
      commandMs: timeout(600_000),
      /** A partition hash's allowance on top of its bytes at `minimumRates.hashBytesPerSecond`. */
      hashMs: timeout(3_600_000),
      /** From `reboot` until the handset's AT port is back. */
      rebootMs: timeout(3_600_000),
      /** One AT command. */
      atCommandMs: timeout(600_000),
    }),
    minimumRates: minimumRatesSchema.default(DEFAULT_MINIMUM_RATES),
    at: z.strictObject({
      baudRate: z.int().min(1200).max(4_000_000),
      /** Asks a hand-configured port which handset it is (a USB listing carries the serial itself). */
      serial: z.strictObject({ command: z.string().regex(/^AT[\x20-\x7e]{0,126}$/), pattern: pattern(true) }),
      checks: z.array(atCheckSchema).min(1).max(32),
    }),
  })
  .superRefine((profile, context) => {
    const seen = new Map<string, string>();
    for (const [name, bit] of Object.entries(profile.fuses)) {
      const at = `${bit.bank}/${bit.word}/${bit.bit}`;
      const other = seen.get(at);
      if (other) context.addIssue({ code: 'custom', path: ['fuses', name], message: `bank ${bit.bank} word ${bit.word} bit ${bit.bit} is already ${other}` });
      seen.set(at, name);
    }
    const ids = new Set<string>();
    profile.at.checks.forEach((check, index) => {
      if (ids.has(check.id)) context.addIssue({ code: 'custom', path: ['at', 'checks', index, 'id'], message: `check id ${check.id} is used twice` });
      ids.add(check.id);
      if (check.expect !== 'match' && captureGroups(check.pattern) === 0) {
        context.addIssue({ code: 'custom', path: ['at', 'checks', index, 'pattern'], message: `a ${check.expect} check must capture the value in group 1` });
      }
    });
  });

/**
 * Old-format reader: a schema 1 profile named the serial question `serialNumber`, in `identity` (the
 * getvar variable) and in `at` (the command asking a port which handset it is). It is read as schema 2,
 * where both are `serial`, so profile files written for earlier versions keep loading unchanged.
 */
function fromSchema1(input: unknown): unknown {
  if (typeof input !== 'object' || input === null || (input as { schemaVersion?: unknown }).schemaVersion !== 1) return input;
  const renamed = (part: unknown): unknown => {
    if (typeof part !== 'object' || part === null || !('serialNumber' in part)) return part;
    const { serialNumber, ...others } = part as Record<string, unknown>;
    return { serial: serialNumber, ...others };
  };
  const { identity, at, ...rest } = input as Record<string, unknown>;
  return { ...rest, schemaVersion: PROFILE_SCHEMA_VERSION, identity: renamed(identity), at: renamed(at) };
}

export const profileSchema = z.preprocess(fromSchema1, profileObjectSchema);

export type DeviceProfile = z.infer<typeof profileSchema>;

/** A profile as the station lists it: where it came from and what it matches. */
export interface ProfileSummary {
  readonly id: string;
  readonly name: string;
  readonly products: readonly string[];
  readonly fuses: readonly string[];
  readonly source: string;
  /** Its checks as an operator reads them: each title and failure advice in English and the profile's other languages. */
  readonly checks: readonly CheckSummary[];
}

export interface CheckSummary {
  readonly id: string;
  readonly texts: { readonly en: CheckTexts } & Partial<Record<ProfileTextLanguage, CheckTexts>>;
}

export function checkSummary(check: AtCheck): CheckSummary {
  return { id: check.id, texts: { ...check.translations, en: { title: check.title, failure: check.failure } } };
}
