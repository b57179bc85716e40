// The filter shared by listings and exports (batch, time range, outcome), validated once and
// turned into a parameterised WHERE clause.
import type { SQLInputValue } from 'node:sqlite';
import { z } from 'zod';
import { RECORD_OUTCOMES, type RecordFilter } from '../../shared/records.ts';
import { parseInput } from './validation.ts';

// Only ISO 8601 with a zone: Date.parse also takes '5' (May 2001) and reads a date-time without a
// zone in the local time of whichever machine runs the export.
const instant = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })], {
    error: 'a time is an ISO 8601 date or a date-time with Z or an offset, e.g. 2026-11-24 or 2026-11-24T09:00:00Z',
  })
  .transform((text) => new Date(text).toISOString());

export const recordFilterSchema = z.strictObject({
  batchId: z.int().positive().optional(),
  since: instant.optional(),
  until: instant.optional(),
  status: z.enum(RECORD_OUTCOMES).optional(),
});

export function parseRecordFilter(input: unknown): RecordFilter {
  return parseInput(recordFilterSchema, input, 'record filter');
}

/** `since` is inclusive and `until` exclusive, so consecutive ranges never overlap. */
export function filterSql(filter: RecordFilter): { where: string; params: SQLInputValue[] } {
  const conditions: [string, SQLInputValue | undefined][] = [
    ['batch_id = ?', filter.batchId],
    ['recorded_at >= ?', filter.since],
    ['recorded_at < ?', filter.until],
    ['outcome = ?', filter.status],
  ];
  const used = conditions.filter((condition): condition is [string, SQLInputValue] => condition[1] !== undefined);
  return { where: used.length === 0 ? '1' : used.map(([clause]) => clause).join(' AND '), params: used.map(([, value]) => value) };
}
