// The depot's JSON Lines export (`lockstep depot export`, docs/records.md "The depot export"): every
// station's chain as the depot holds it, in sections whose chain lines are byte for byte the lines of
// a station's own export, each closed by the station's head line, the file opened by a format line
// and closed by the depot's head. `lockstep records verify` checks one offline.
import { z } from 'zod';
import { stationNameSchema } from './depot.ts';
import { sha256HexSchema } from './identifiers.ts';
import type { VerifyProblem } from './records.ts';

export const DEPOT_EXPORT_FORMAT = 'lockstep-depot-export/1';

const isoMillis = z.iso.datetime({ precision: 3 });

/** The first line: tells a depot export from a station's at once. */
export const depotExportStartSchema = z.strictObject({ type: z.literal('depot-export'), format: z.literal(DEPOT_EXPORT_FORMAT) });

/** What the export covers: `from` inclusive and `to` exclusive on the records' recordedAt, one station or all. */
export const depotExportFilterSchema = z.strictObject({
  from: isoMillis.nullable(),
  to: isoMillis.nullable(),
  station: stationNameSchema.nullable(),
});
export type DepotExportFilter = z.infer<typeof depotExportFilterSchema>;

/** Closes one station's section: the station as registered, and its chain as the depot held it. */
export const stationHeadLineSchema = z.strictObject({
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
export type StationHeadLine = z.infer<typeof stationHeadLineSchema>;

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

/** What `records verify` found in a depot export: intact (with each station's head), or the first line that breaks. */
export type DepotVerifyOutcome =
  | { readonly intact: true; readonly lines: number; readonly records: number; readonly head: DepotHeadLine; readonly stations: readonly StationHeadLine[] }
  | { readonly intact: false; readonly line: number; readonly problem: VerifyProblem; readonly message: string };
