// The typed facts a step event carries. Whatever decides what may happen next to a handset — the
// fuse masks sent, the words read back, the lock state, an alarm — is data here, checked against one
// schema per step and status when it is journaled and when it is read back. An event's `detail` is
// text for the operator only and is never parsed.
import { z } from 'zod';
import { sha256HexSchema } from './identifiers.ts';
import { UNPRINTED_CAUSES } from './labels.ts';
import type { StepName, StepStatus } from './records.ts';

const u32 = z.int().min(0).max(0xffffffff);

export const fuseReadbackSchema = z.strictObject({ bank: z.int().nonnegative(), word: z.int().nonnegative(), value: u32 });
export type FuseReadback = z.infer<typeof fuseReadbackSchema>;

/** Bits of one fuse word: what a program command sets. */
export const fuseMaskSchema = z.strictObject({ bank: z.int().nonnegative(), word: z.int().nonnegative(), mask: u32 });
export type FuseMask = z.infer<typeof fuseMaskSchema>;

/** Every step's first event: the runner journals it before the step acts. */
const begin = z.strictObject({ event: z.literal('begin') });
const none = z.null();
/** A failure's facts beyond its code; most failures have none (the code and the operator text say it all). */
const noFacts = z.null();

const identitySchema = z.record(z.string(), z.string().nullable());

/** A value an AT check captured, journaled only as printable text of at most 128 characters (an IMEI, a version). */
export const CHECK_VALUE = /^[\x20-\x7e]{1,128}$/;

/**
 * One check's outcome and the handset's answer to it. `answer`: its lines as at-checks.ts keeps them
 * (joined, control characters escaped, capped); `value`: what the check captured, null when it
 * captured nothing or nothing within CHECK_VALUE. Both are absent in events journaled before the
 * station kept the answers (those converted from text among them).
 */
const checkOutcomeSchema = z.strictObject({
  id: z.string(),
  passed: z.boolean(),
  answer: z.string().max(4096).optional(),
  value: z.string().regex(CHECK_VALUE).nullable().optional(),
});
export type CheckOutcome = z.infer<typeof checkOutcomeSchema>;

/** The handset's own hash of a written partition beside the bundle's. */
export const partitionHashCheckSchema = z.strictObject({ name: z.string(), expected: sha256HexSchema, actual: sha256HexSchema });
export type PartitionHashCheck = z.infer<typeof partitionHashCheckSchema>;

/**
 * Per step, per status, the schema of `data`. `started` events after `begin` are the facts a step
 * journals while it acts (`program-sent` before the command goes out, `program-acknowledged` after
 * the handset's OKAY), so that an attempt cut short leaves exactly what it did, or may have done.
 */
export const STEP_DATA = {
  detect: { started: begin, passed: z.strictObject({ profile: z.string() }), failed: noFacts, skipped: none },
  identify: { started: begin, passed: z.strictObject({ identity: identitySchema }), failed: noFacts, skipped: none },
  precheck: { started: begin, passed: none, failed: noFacts, skipped: none },
  flash: {
    started: z.discriminatedUnion('event', [begin, z.strictObject({ event: z.literal('writing'), targets: z.array(z.string()) })]),
    /** `written`: false when every partition already read back the bundle's hash, so nothing was sent. */
    passed: z.strictObject({ written: z.boolean(), bytes: z.int().nonnegative() }),
    failed: noFacts,
    skipped: none,
  },
  verify: {
    started: begin,
    /** The handset's own hash of each written partition; null in events converted from before the structured journal. */
    passed: z.strictObject({ partitions: z.array(z.strictObject({ name: z.string(), sha256: z.string() })).nullable() }),
    /** VERIFY_MISMATCH: every partition read, the bundle's hash beside the handset's (those that differ failed). */
    failed: z.strictObject({ partitions: z.array(partitionHashCheckSchema) }).nullable(),
    skipped: none,
  },
  fuse: {
    started: z.discriminatedUnion('event', [
      begin,
      z.strictObject({
        event: z.literal('read-before'),
        words: z.array(fuseReadbackSchema),
        /**
         * True only in events converted from before the structured journal: that station sent a program
         * before journaling it, so policy bits unset here may have been programmed without a trace.
         */
        programsUnjournaled: z.boolean(),
      }),
      fuseMaskSchema.extend({ event: z.literal('program-sent') }),
      fuseMaskSchema.extend({ event: z.literal('program-acknowledged') }),
    ]),
    /** `burned`: the fuses this station programmed, proven set by read-back; null in converted events (that station did not say). */
    passed: z.strictObject({ after: z.array(fuseReadbackSchema), burned: z.array(z.string()).nullable() }),
    failed: z
      .discriminatedUnion('finding', [
        z.strictObject({ finding: z.literal('readback-mismatch'), bank: z.int(), word: z.int(), expected: u32, actual: u32 }),
        z.strictObject({ finding: z.literal('unconfirmed'), bank: z.int(), word: z.int(), sent: u32, actual: u32 }),
        z.strictObject({ finding: z.literal('found-set'), fuses: z.array(z.string()), words: z.array(fuseReadbackSchema) }),
      ])
      .nullable(),
    skipped: none,
  },
  lock: {
    started: z.discriminatedUnion('event', [begin, z.strictObject({ event: z.literal('lock-sent') })]),
    /** `sent`: whether this attempt sent the lock (false: an earlier attempt's lock, proven now by read-back). */
    passed: z.strictObject({ lockState: z.string(), sent: z.boolean() }),
    failed: z.strictObject({ lockState: z.string() }).nullable(),
    skipped: none,
  },
  reboot: {
    started: begin,
    /** The AT port that answered for the handset; `foundBooted`: met booted after a station restart. */
    passed: z.strictObject({ atPort: z.string(), foundBooted: z.boolean() }),
    failed: noFacts,
    skipped: none,
  },
  checks: {
    started: begin,
    passed: z.strictObject({ checks: z.array(checkOutcomeSchema) }),
    failed: z.strictObject({ checks: z.array(checkOutcomeSchema) }).nullable(),
    skipped: none,
  },
  record: { started: begin, passed: z.strictObject({ outcome: z.enum(['provisioned', 'failed']), seq: z.int().positive() }), failed: noFacts, skipped: none },
  label: {
    started: begin,
    passed: none,
    failed: noFacts,
    /** Why the label is unprinted; null in events journaled before the station said (a printer's answer only in the detail). */
    skipped: z.strictObject({ unprinted: z.enum(UNPRINTED_CAUSES) }).nullable(),
  },
} as const satisfies Record<StepName, Record<StepStatus, z.ZodType>>;

type DataOf<Step extends StepName, Status extends StepStatus> = z.infer<(typeof STEP_DATA)[Step][Status]>;

/** The data of one step event, by step and status. */
export type StepData<Step extends StepName = StepName, Status extends StepStatus = StepStatus> = Step extends StepName
  ? Status extends StepStatus
    ? DataOf<Step, Status>
    : never
  : never;

/** The schema for one step's events of one status. */
export function stepDataSchema(step: StepName, status: StepStatus): z.ZodType {
  return STEP_DATA[step][status];
}

/** A step event's step, status and data, typed together: what the journal accepts. */
export type StepEventFacts = {
  [S in StepName]: { [T in StepStatus]: { readonly step: S; readonly status: T; readonly data: DataOf<S, T> } }[StepStatus];
}[StepName];
