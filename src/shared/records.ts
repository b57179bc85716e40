// Station records as the front ends see them: operators, batches, step events, authorisation
// decisions, provisioning records and the lines of a JSON Lines export. Types and zod schemas only;
// the store lives in src/main/records. String fields hold values exactly as the handset sent them,
// so render them with src/shared/untrusted.ts.
import { z } from 'zod';
import { parseTagPattern } from './asset-tag.ts';
import { bundleHashSchema, sha256HexSchema } from './identifiers.ts';
import { fuseReadbackSchema, type StepData } from './step-events.ts';

export const ROLES = ['technician', 'supervisor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const STEP_NAMES = ['detect', 'identify', 'precheck', 'flash', 'verify', 'fuse', 'lock', 'reboot', 'checks', 'record', 'label'] as const;
export type StepName = (typeof STEP_NAMES)[number];

export const STEP_STATUSES = ['started', 'passed', 'failed', 'skipped'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/** The steps that cannot be undone, and so need a supervisor's authorisation. */
export const IRREVERSIBLE_STEPS = ['fuse', 'lock'] as const satisfies readonly StepName[];
export type IrreversibleStep = (typeof IRREVERSIBLE_STEPS)[number];

/** Whether a step cannot be undone once it ran (burning fuses, locking the bootloader). */
export function isIrreversible(step: StepName): step is IrreversibleStep {
  return (IRREVERSIBLE_STEPS as readonly StepName[]).includes(step);
}

export const RECORD_OUTCOMES = ['provisioned', 'failed'] as const;
export type RecordOutcome = (typeof RECORD_OUTCOMES)[number];

export interface OperatorSummary {
  readonly id: string;
  readonly displayName: string;
  readonly role: Role;
  readonly createdAt: string;
  readonly createdBy: string | null;
  readonly disabledAt: string | null;
  readonly lockedAt: string | null;
  readonly failedAttempts: number;
}

/**
 * A batch as the journal holds it (the `batches` table): opened once by the operator who started it,
 * continued after a restart. `batchSchema.omit({ id, startedAt })` is what opening one takes (the journal
 * checks it there; the rows it reads back are its own).
 */
export const batchSchema = z.strictObject({
  id: z.int().positive(),
  name: z.string().min(1).max(200),
  /** The bundle's products, comma-separated. */
  product: z.string().min(1),
  bundleHash: bundleHashSchema,
  bundleVersion: z.string().min(1),
  /** Who opened the batch. */
  operatorId: z.string(),
  startedAt: z.string(),
  /** How the batch's provisioned handsets are tagged (src/shared/asset-tag.ts); null: no tags. */
  assetTagPattern: z
    .string()
    .superRefine((text, context) => {
      const parsed = parseTagPattern(text);
      if ('problem' in parsed) context.addIssue({ code: 'custom', message: parsed.problem });
    })
    .nullable(),
});
export type BatchSummary = Readonly<z.output<typeof batchSchema>>;

export interface AuthorisationSummary {
  readonly id: number;
  readonly batchId: number;
  readonly supervisorId: string;
  readonly fuses: readonly string[];
  readonly lock: boolean;
  readonly bundleHash: string;
  readonly deviceCap: number;
  readonly devicesUsed: number;
  readonly createdAt: string;
  readonly expiresAt: string;
}

/** The answer to "may this irreversible step run on this device now?", stored with the step. */
export type AuthorisationDecision =
  | { readonly authorised: true; readonly authorisationId: number }
  | { readonly authorised: false; readonly reason: string };

export interface StepEvent {
  readonly id: number;
  readonly deviceId: number;
  readonly step: StepName;
  readonly status: StepStatus;
  /** The failure code of a failed (or refused) step, else null. */
  readonly code: string | null;
  /** The step's typed facts (src/shared/step-events.ts); what resume, retry and quarantine decide on. */
  readonly data: StepData;
  /**
   * Null for events this version wrote or converted; for an event kept verbatim from before the
   * structured journal because it matched no known format: its handset is quarantined, never re-burned.
   */
  readonly unconverted: boolean;
  /** Text for the operator; never parsed. */
  readonly detail: string | null;
  readonly operatorId: string;
  readonly at: string;
  readonly authorisation: AuthorisationDecision | null;
}

const isoTime = z.iso.datetime();
/** A time as the station writes it (`Date.toISOString`): UTC, milliseconds, so text order is time order. */
const isoMillis = z.iso.datetime({ precision: 3 });

/**
 * Canonical base64 of exactly `bytes` bytes (RFC 4648 section 3.5): padded, and the bits the padding
 * leaves over are zero, so decoding and re-encoding gives the same text. Without the last rule four
 * texts decode to the same signature, and the station writes only one of them.
 */
function canonicalBase64(bytes: number, what: string) {
  const tail = ['', '[A-Za-z0-9+/][AQgw]==', '[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]='][bytes % 3];
  return z.string().regex(new RegExp(`^[A-Za-z0-9+/]{${Math.floor(bytes / 3) * 4}}${tail}$`), `${what}: the canonical base64 of ${bytes} bytes`);
}

/** The station's raw 32-byte Ed25519 public key, base64 (`lockstep records station-key` prints it). */
export const stationPublicKeySchema = canonicalBase64(32, 'an Ed25519 public key');

export { fuseReadbackSchema, type FuseReadback } from './step-events.ts';

/**
 * The content of one provisioning record of format 1: exactly the object that is hashed into the
 * chain (see docs/records.md for the canonical encoding). Records written before format 2 keep it.
 */
export const provisioningRecordBodyV1Schema = z.strictObject({
  seq: z.int().positive(),
  recordedAt: isoMillis,
  batchId: z.int().positive(),
  deviceSerial: z.string(),
  product: z.string(),
  hwRevision: z.string().nullable(),
  bootloaderVersion: z.string().nullable(),
  imei: z.string().nullable(),
  firmwareVersion: z.string().nullable(),
  bundleHash: z.string(),
  bundleVersion: z.string(),
  fusesBurned: z.array(z.string()),
  fuseReadback: z.array(fuseReadbackSchema),
  locked: z.boolean(),
  outcome: z.enum(RECORD_OUTCOMES),
  failedStep: z.enum(STEP_NAMES).nullable(),
  failureReason: z.string().nullable(),
  operatorId: z.string(),
  authorisationId: z.int().positive().nullable(),
});

/** What an auditor needs beyond format 1: where, who, when, and each readback the pipeline relied on. */
export const recordEvidenceSchema = z.strictObject({
  /** The slot the handset sat in (src/shared/handset.ts). */
  slot: z.string(),
  /** The supervisor whose authorisation the irreversible steps ran under. */
  supervisorId: z.string().nullable(),
  startedAt: isoTime,
  finishedAt: isoTime,
  /** The identify step's readback over fastboot, exactly as the handset answered. */
  identityBefore: z.record(z.string(), z.string().nullable()),
  /** What the booted handset reported over AT (IMEI, firmware version, …). */
  identityAfter: z.record(z.string(), z.string().nullable()),
  /** The handset's own hash of each written partition. */
  partitions: z.array(z.strictObject({ name: z.string(), sha256: z.string() })),
  fuseWordsBefore: z.array(fuseReadbackSchema),
  /** The lock-state variable read back after locking, raw. */
  lockState: z.string().nullable(),
  checks: z.array(z.strictObject({ id: z.string(), passed: z.boolean(), command: z.string(), answer: z.string() })),
});
export type RecordEvidence = z.infer<typeof recordEvidenceSchema>;

/** Format 2: format 1 plus the asset tag and the evidence. */
export const provisioningRecordBodyV2Schema = provisioningRecordBodyV1Schema.extend({
  recordVersion: z.literal(2),
  /** The asset tag allocated with the record (provisioned records of a batch with a tag pattern), else null. */
  assetTag: z.string().nullable(),
  evidence: recordEvidenceSchema,
});

/** Format 3's evidence adds the AT port that answered for the handset. */
export const recordEvidenceV3Schema = recordEvidenceSchema.extend({
  /** The AT port the checks ran on (a device path, or the simulator's port name); null when the run never got that far. */
  atPort: z.string().nullable(),
});
export type RecordEvidenceV3 = z.infer<typeof recordEvidenceV3Schema>;

/**
 * A failure code as records carry it: the grammar, not today's list (src/shared/failures.ts), so a
 * verifier still reads records of a station that knows more codes than it does.
 */
export const recordFailureCodeSchema = z.string().regex(/^[A-Z][A-Z0-9_]{1,63}$/);

/**
 * Format 3: what the fuse step did is told apart from what it found, and a
 * failure's code is a field of its own. `fusesBurned` names only fuses this station programmed and
 * proved set by read-back; `fusesFoundSet` names policy fuses that were already set before this
 * station acted (an alarm). `failureCode` is set exactly when the outcome is failed, as `failedStep`
 * and `failureReason` are; `failureReason` is then the message alone.
 */
export const provisioningRecordBodyV3Schema = provisioningRecordBodyV1Schema.extend({
  recordVersion: z.literal(3),
  failureCode: recordFailureCodeSchema.nullable(),
  assetTag: z.string().nullable(),
  fusesFoundSet: z.array(z.string()),
  evidence: recordEvidenceV3Schema,
});

/**
 * Format 4 (this version writes it): format 3 with the handset's identity under the one name it has at
 * every seam, `serial`. Formats 1 to 3 hashed it as `deviceSerial`, which their records keep.
 */
export const provisioningRecordBodyV4Schema = provisioningRecordBodyV3Schema.omit({ deviceSerial: true, recordVersion: true }).extend({
  recordVersion: z.literal(4),
  serial: z.string(),
});

/**
 * The members a failed record names and a provisioned one leaves null, by record format: the rule
 * every station wrote by and `records verify` applies. Format 3 adds the failure code.
 */
export const FAILURE_FIELDS = {
  1: ['failedStep', 'failureReason'],
  2: ['failedStep', 'failureReason'],
  3: ['failedStep', 'failureCode', 'failureReason'],
  4: ['failedStep', 'failureCode', 'failureReason'],
} as const satisfies Record<number, readonly (keyof z.infer<typeof provisioningRecordBodyV4Schema>)[]>;

/** Refinement: `fields` are set exactly when the outcome is failed; names each member that breaks it. */
export function failureFieldsRule(fields: readonly string[]) {
  return (record: { readonly outcome: RecordOutcome }, context: z.RefinementCtx): void => {
    for (const field of fields) {
      const set = (record as unknown as Record<string, unknown>)[field] !== null;
      if (set === (record.outcome === 'failed')) continue;
      const message = set ? 'is set on a provisioned record; only a failed record names it' : 'is null on a failed record, which must name it';
      context.addIssue({ code: 'custom', path: [field], message });
    }
  };
}

/** A record of each format as an export carries it: the body and the format's rules. */
export const recordFormat1Schema = provisioningRecordBodyV1Schema.superRefine(failureFieldsRule(FAILURE_FIELDS[1]));
export const recordFormat2Schema = provisioningRecordBodyV2Schema.superRefine(failureFieldsRule(FAILURE_FIELDS[2]));
export const recordFormat3Schema = provisioningRecordBodyV3Schema.superRefine(failureFieldsRule(FAILURE_FIELDS[3]));
export const recordFormat4Schema = provisioningRecordBodyV4Schema.superRefine(failureFieldsRule(FAILURE_FIELDS[4]));

/** A record body as stored or exported: formats 1 to 3 (older stations) or format 4. */
export const provisioningRecordBodySchema = z.union([
  provisioningRecordBodyV4Schema,
  provisioningRecordBodyV3Schema,
  provisioningRecordBodyV2Schema,
  provisioningRecordBodyV1Schema,
]);
export type ProvisioningRecordBody = z.infer<typeof provisioningRecordBodySchema>;

/**
 * The handset's serial of a record body of any format. Old-format reader: formats 1 to 3 name it
 * `deviceSerial`; this and the schemas above are the only places that still read that name.
 */
export function recordSerial(body: ProvisioningRecordBody): string {
  return 'serial' in body ? body.serial : body.deviceSerial;
}

/**
 * A stored record as the station reads it: the body exactly as hashed, its chain links, and `serial`
 * for a record of every format (formats 1 to 3 also keep `deviceSerial`, as hashed). Exports copy the
 * stored bytes, never this object, so the added member never reaches a hash.
 */
export type ProvisioningRecord = ProvisioningRecordBody & { readonly serial: string; readonly prevHash: string; readonly hash: string };

/** Which records an export or a listing covers; every field narrows it. */
export interface RecordFilter {
  readonly batchId?: number;
  readonly since?: string;
  readonly until?: string;
  readonly status?: RecordOutcome;
}

/** The JSON Lines export this version writes; `records verify` also accepts the formats before it. */
export const EXPORT_FORMAT = 'lockstep-records/4';
export const EXPORT_FORMATS_VERIFIED = ['lockstep-records/1', 'lockstep-records/2', 'lockstep-records/3', EXPORT_FORMAT] as const;

const recordLineFields = { type: z.literal('record'), seq: z.int().positive(), prevHash: sha256HexSchema, hash: sha256HexSchema } as const;

/** A record line whose record is of any format (docs/records-export-line.schema.json is generated from it). */
export const recordLineSchema = z.strictObject({ ...recordLineFields, record: z.union([recordFormat4Schema, recordFormat3Schema, recordFormat2Schema, recordFormat1Schema]) });

/**
 * The schema for one record line, chosen by the format its body declares, so a malformed body is
 * reported field by field instead of as "matches neither format".
 */
export function recordLineSchemaFor(line: unknown) {
  const record = (line as { record?: unknown } | null)?.record;
  const version = typeof record === 'object' && record !== null ? (record as { recordVersion?: unknown }).recordVersion : undefined;
  const body =
    version === undefined ? recordFormat1Schema : version === 2 ? recordFormat2Schema : version === 3 ? recordFormat3Schema : recordFormat4Schema;
  return z.strictObject({ ...recordLineFields, record: body });
}

/** A record of the chain outside the export's filter: its place in the chain, not its content. */
export const elidedLineSchema = z.strictObject({
  type: z.literal('elided'),
  seq: z.int().positive(),
  prevHash: sha256HexSchema,
  hash: sha256HexSchema,
});

export const chainHeadFieldsSchema = z.strictObject({
  type: z.literal('chain-head'),
  format: z.enum(EXPORT_FORMATS_VERIFIED),
  exportedAt: isoMillis,
  filter: z.strictObject({
    batchId: z.int().positive().nullable(),
    since: isoMillis.nullable(),
    until: isoMillis.nullable(),
    status: z.enum(RECORD_OUTCOMES).nullable(),
  }),
  lines: z.int().nonnegative(),
  records: z.int().nonnegative(),
  firstPrevHash: sha256HexSchema,
  headSeq: z.int().nonnegative(),
  headHash: sha256HexSchema,
  stationFingerprint: sha256HexSchema,
  stationPublicKey: stationPublicKeySchema,
});
export type ChainHeadFields = z.infer<typeof chainHeadFieldsSchema>;

export const chainHeadLineSchema = chainHeadFieldsSchema.extend({
  signature: canonicalBase64(64, 'an Ed25519 signature'),
});
export type ChainHeadLine = z.infer<typeof chainHeadLineSchema>;

export type ElidedLine = z.infer<typeof elidedLineSchema>;

/** What `records verify` found: intact, or the first line that breaks and why. */
export type VerifyOutcome =
  | { readonly intact: true; readonly lines: number; readonly records: number; readonly head: ChainHeadLine; readonly keyPinned: boolean }
  | { readonly intact: false; readonly line: number; readonly problem: VerifyProblem; readonly message: string };

export type VerifyProblem = 'malformed' | 'edited' | 'deleted' | 'reordered' | 'inserted' | 'truncated' | 'signature' | 'untrusted-key';
