// The depot's JSON Lines export (`lockstep depot export`, docs/records.md "The depot export"): every
// station's chain as the depot holds it, in sections whose chain lines are byte for byte the lines of
// a station's own export, each closed by the station's head line, the file opened by a format line
// and closed by the depot's head. `lockstep records verify` checks one offline.
import { z } from 'zod';
import { stationNameSchema } from './depot.ts';
import { sha256HexSchema } from './identifiers.ts';
import { chainHeadLineSchema, stationPublicKeySchema, type VerifyProblem } from './records.ts';

/**
 * Format 2 adds each station's public key and its newest signed head; format 3 each station's label
 * jobs and outcomes. Files of formats 1 and 2 are still verified by their own rules.
 */
export const DEPOT_EXPORT_FORMAT = 'lockstep-depot-export/3';
export const DEPOT_EXPORT_FORMATS_VERIFIED = ['lockstep-depot-export/1', 'lockstep-depot-export/2', DEPOT_EXPORT_FORMAT] as const;
export type DepotExportFormat = (typeof DEPOT_EXPORT_FORMATS_VERIFIED)[number];

const isoMillis = z.iso.datetime({ precision: 3 });

/** The first line: tells a depot export from a station's at once. */
export const depotExportStartSchema = z.strictObject({ type: z.literal('depot-export'), format: z.enum(DEPOT_EXPORT_FORMATS_VERIFIED) });

/** What the export covers: `from` inclusive and `to` exclusive on the records' recordedAt, one station or all. */
export const depotExportFilterSchema = z.strictObject({
  from: isoMillis.nullable(),
  to: isoMillis.nullable(),
  station: stationNameSchema.nullable(),
});
export type DepotExportFilter = z.infer<typeof depotExportFilterSchema>;

/** Closes one station's section in a format 1 export: the station as registered, and its chain as the depot held it. */
export const stationHeadLineV1Schema = z.strictObject({
  type: z.literal('station-head'),
  station: stationNameSchema,
  keyFingerprint: sha256HexSchema,
  registeredAt: isoMillis,
  lines: z.int().nonnegative(),
  records: z.int().nonnegative(),
  firstPrevHash: sha256HexSchema,
  headSeq: z.int().nonnegative(),
  headHash: sha256HexSchema,
});

/**
 * Format 2 adds the station's raw Ed25519 public key and the newest head it signed (a station
 * export's chain-head line, unfiltered, at a record the depot held), both null when the depot holds
 * no head signed by the station.
 */
export const stationHeadLineSchema = stationHeadLineV1Schema.extend({
  publicKey: stationPublicKeySchema.nullable(),
  signedHead: chainHeadLineSchema.nullable(),
});
/** Format 3 adds how many label job and label outcome lines follow the section's chain lines. */
export const stationHeadLineV3Schema = stationHeadLineSchema.extend({
  labelJobs: z.int().nonnegative(),
  labelOutcomes: z.int().nonnegative(),
});
export type StationHeadLine = z.infer<typeof stationHeadLineV1Schema> &
  Partial<Pick<z.infer<typeof stationHeadLineV3Schema>, 'publicKey' | 'signedHead' | 'labelJobs' | 'labelOutcomes'>>;

const positiveId = z.int().positive();

/**
 * A label job as the station journaled it (its `label_jobs` row, the columns it pushes: src/main/depot/station-source.ts)
 * and the depot holds it: each print or reprint of a record's label, asked for by an operator.
 */
export const labelJobBodySchema = z.strictObject({
  id: positiveId,
  record_seq: positiveId,
  kind: z.enum(['first', 'reprint']),
  printer: z.string(),
  format: z.enum(['zpl', 'pdf', 'png']),
  template: z.string(),
  operator_id: z.string(),
  reason: z.string().nullable(),
  requested_at: z.string(),
});

/** A label job's outcome (the station's `labels` row): the printer took it, or failed with its words. `job_id` null: before label jobs. */
export const labelOutcomeBodySchema = z.strictObject({
  id: positiveId,
  record_seq: positiveId,
  job_id: positiveId.nullable(),
  printer: z.string(),
  status: z.enum(['accepted', 'failed']),
  detail: z.string().nullable(),
  operator_id: z.string(),
  at: z.string(),
});

/**
 * Format 3: after a section's chain lines, a line per label job, then per outcome, of the records the
 * section holds in full, in id order. The station does not hash nor sign them: they are what the
 * depot holds, checked against the section's records, not proven the station's.
 */
export const labelJobLineSchema = z.strictObject({ type: z.literal('label-job'), job: labelJobBodySchema });
export const labelOutcomeLineSchema = z.strictObject({ type: z.literal('label-outcome'), outcome: labelOutcomeBodySchema });
export type LabelJobLine = z.infer<typeof labelJobLineSchema>;
export type LabelOutcomeLine = z.infer<typeof labelOutcomeLineSchema>;

/** The last line. `lines` counts every line before it, the format line included. */
export const depotHeadLineSchema = z.strictObject({
  type: z.literal('depot-head'),
  database: z.string().min(1).max(63),
  exportedAt: isoMillis,
  filter: depotExportFilterSchema,
  stations: z.int().nonnegative(),
  lines: z.int().nonnegative(),
  records: z.int().nonnegative(),
});
export type DepotHeadLine = z.infer<typeof depotHeadLineSchema>;

/**
 * What a station's signature covers in its section of a format 2 export: its records up to
 * `signedHeadSeq` (0: no signed head) are proven the station's own; `unsignedRecords` record lines
 * after it (or before the section's signed part) are proven only by the depot's chain.
 */
export interface SectionSignature {
  readonly station: string;
  readonly publicKey: string | null;
  readonly signedHeadSeq: number;
  readonly signedAt: string | null;
  readonly unsignedRecords: number;
}

/** What `records verify` found in a depot export: intact (with each station's head), or the first line that breaks. */
export type DepotVerifyOutcome =
  | {
      readonly intact: true;
      readonly format: DepotExportFormat;
      readonly lines: number;
      readonly records: number;
      readonly head: DepotHeadLine;
      readonly stations: readonly StationHeadLine[];
      /** Format 2: each station's signature over its section (format 1 exports carry none: empty). */
      readonly signatures: readonly SectionSignature[];
    }
  | { readonly intact: false; readonly line: number; readonly problem: VerifyProblem; readonly message: string };
