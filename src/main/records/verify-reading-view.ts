// A CSV or PDF export handed to `records verify` is refused with the reason, not judged: those are
// views of the records for reading, and only the JSON Lines export carries the hash chain and the
// station's signature that a check needs.
import { open } from 'node:fs/promises';
import { displaySafe } from '../../shared/untrusted.ts';
import { RecordsError } from './errors.ts';
import { DEPOT_LABELS_CSV_HEADER } from '../depot/export-csv.ts';
import { CSV_HEADER, DEPOT_CSV_HEADER } from './export-csv.ts';

const CSV_HEADERS = [CSV_HEADER, DEPOT_CSV_HEADER, DEPOT_LABELS_CSV_HEADER];
/** Enough of a file's start to tell a CSV header (a station's, the depot's records' or labels') or a PDF's signature from a JSON line. */
const SNIFF_BYTES = Math.max(...CSV_HEADERS.map((header) => header.length)) + 8;

/** 'CSV' or 'PDF' when the file starts as a station's or the depot's CSV or PDF export does; null for anything else. */
async function readingViewFormat(path: string): Promise<'CSV' | 'PDF' | null> {
  let start: string;
  try {
    const file = await open(path, 'r');
    try {
      const { buffer, bytesRead } = await file.read(Buffer.alloc(SNIFF_BYTES), 0, SNIFF_BYTES, 0);
      start = buffer.subarray(0, bytesRead).toString('latin1');
    } finally {
      await file.close();
    }
  } catch {
    return null; // The line reader reports a file it cannot read, in its own words.
  }
  if (start.startsWith('%PDF-')) return 'PDF';
  const text = start.replace(/^\xef\xbb\xbf/, '');
  if (CSV_HEADERS.some((header) => text.startsWith(`${header}\r\n`))) return 'CSV';
  return null;
}

/**
 * Refuses a CSV or PDF export given to verify: they are views of the records for reading, and only
 * the JSON Lines export carries the hash chain and the station's signature a check needs. Reporting
 * such a file "not intact at line 1" would call a good file edited or damaged.
 */
export async function refuseReadingView(path: string): Promise<void> {
  const format = await readingViewFormat(path);
  if (format === null) return;
  const file = displaySafe(path);
  throw new RecordsError(
    'VERIFY_NOT_JSONL',
    `${file} is a ${format} export: only JSON Lines exports (.jsonl) can be verified. The CSV and PDF exports are views for reading; ` +
      'the signed hash chain is only in the JSON Lines export. Export the same records as JSON Lines and verify that file.',
    { params: { file, format } },
  );
}
