// History's listing: one page of records, newest first, matching a filter and a search for a serial
// number, IMEI or asset tag, read by SQLite alone. The search keys live in the trigram index
// record_search (migration 6), so a search reads the rows it finds, not every record: a phrase of
// three or more characters is a lookup in that index; a shorter one (or one holding a NUL, which a
// full-text query cannot carry) scans the index's small key columns, never the hashed bodies. The
// search text is data: no character of it is SQL or a LIKE pattern.
import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import { z } from 'zod';
import type { ProvisioningRecord, RecordFilter } from '../../shared/records.ts';
import { recordFromRow, type RecordRow } from './provisioning-log.ts';
import { filterSql } from './record-filter.ts';
import { parseInput } from './validation.ts';

/** Longer than any serial, IMEI or tag; the station API caps it at the same length. */
export const MAX_SEARCH_CHARS = 128;
export const MAX_PAGE_SIZE = 1000;
/** The trigram tokenizer matches nothing shorter. */
const TRIGRAM = 3;

export const recordPageRequestSchema = z.strictObject({
  search: z.string().max(MAX_SEARCH_CHARS, `search text is at most ${MAX_SEARCH_CHARS} characters`).default(''),
  /** Only records older than this sequence number: the `next` of the page before. */
  before: z.int().positive().optional(),
  limit: z.int().min(1).max(MAX_PAGE_SIZE),
});
export type RecordPageRequest = z.input<typeof recordPageRequestSchema>;

export interface RecordPage {
  /** Newest first. */
  readonly records: ProvisioningRecord[];
  /** The `before` that asks for the next page; null when this page is the last. */
  readonly next: number | null;
}

const COLUMNS = 'r.seq, r.batch_id, r.recorded_at, r.outcome, r.body_json, r.prev_hash, r.hash';

/** Scanners add no case but may add surrounding blanks; people type either case. */
function normalise(text: string): string {
  return text.trim().toLowerCase();
}

/** The text as one FTS5 phrase: inside double quotes only a double quote means anything, and it is doubled. */
function phrase(text: string): string {
  return `"${text.replaceAll('"', '""')}"`;
}

/** The WHERE clause that picks the searched records, with its parameters. */
function searchSql(needle: string): { where: string; params: SQLInputValue[] } {
  if (needle === '') return { where: '1', params: [] };
  if ([...needle].length >= TRIGRAM && !needle.includes('\0')) return { where: 'record_search MATCH ?', params: [phrase(needle)] };
  // SQLite's lower() folds ASCII only, which is what serials, IMEIs and tags are written in.
  return { where: '(instr(lower(s.serial), ?) > 0 OR instr(lower(s.imei), ?) > 0 OR instr(lower(s.asset_tag), ?) > 0)', params: [needle, needle, needle] };
}

export function createRecordSearch(db: DatabaseSync) {
  return {
    page(filter: RecordFilter, input: RecordPageRequest): RecordPage {
      const request = parseInput(recordPageRequestSchema, input, 'record search');
      const needle = normalise(request.search);
      const filtered = filterSql(filter);
      const searched = searchSql(needle);
      // One more than the page, to know whether another page follows. The record_search side of the
      // join drives the search (its rowid is the record's seq, read newest first and stopped at the
      // limit); without a search the records' own primary key does.
      const from =
        needle === ''
          ? `FROM provisioning_records r WHERE r.seq < ? AND ${filtered.where} ORDER BY r.seq DESC`
          : `FROM record_search s JOIN provisioning_records r ON r.seq = s.rowid
             WHERE s.rowid < ? AND ${searched.where} AND ${filtered.where} ORDER BY s.rowid DESC`;
      const before = request.before ?? Number.MAX_SAFE_INTEGER;
      const params = needle === '' ? [before, ...filtered.params] : [before, ...searched.params, ...filtered.params];
      const sql = `SELECT ${COLUMNS} ${from} LIMIT ${request.limit + 1}`;
      const rows = db.prepare(sql).all(...params) as unknown as RecordRow[];
      const more = rows.length > request.limit;
      const records = rows.slice(0, request.limit).map(recordFromRow);
      return { records, next: more ? (records.at(-1)?.seq ?? null) : null };
    },
  };
}

export type RecordSearch = ReturnType<typeof createRecordSearch>;
