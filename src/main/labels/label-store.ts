// Label jobs in the records database (schema 5): every print of a record's label, the first one
// and each reprint with its operator and reason, and each job's outcome as a row of `labels`. A
// provisioned record with an asset tag and no accepted label is unprinted; that is read from the
// database, so it survives a crash between the record's commit and the printer's answer. The
// records themselves (and the operators) are read through the records API, never their tables.
import type { DatabaseSync } from 'node:sqlite';
import { z } from 'zod';
import { LABEL_FORMATS, printerAddressSchema, TEMPLATE_NAME, type LabelJobSummary } from '../../shared/labels.ts';
import type { ProvisioningRecord } from '../../shared/records.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import { issueLines } from '../../shared/zod-issues.ts';
import { openDatabase } from '../records/database.ts';
import { createOperators } from '../records/operators.ts';
import { createProvisioningLog, recordFromRow } from '../records/provisioning-log.ts';
import { createRecordSearch, MAX_SEARCH_CHARS } from '../records/record-search.ts';
import { inWriteTransaction } from '../records/transactions.ts';
import { LabelError } from './errors.ts';

/** A reason is typed by a person and shown in reports: one line of plain text. */
const reasonSchema = z
  .string()
  .trim()
  .min(1, 'say why the label is printed again')
  .max(500, 'a reason is at most 500 characters')
  // eslint-disable-next-line no-control-regex -- control and bidi characters are what is refused
  .refine((text) => !/[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/.test(text), 'a reason is one line without control characters');

const newJobSchema = z.strictObject({
  recordSeq: z.int().positive(),
  printer: printerAddressSchema,
  format: z.enum(LABEL_FORMATS),
  template: z.string().regex(TEMPLATE_NAME),
  operatorId: z.string().min(1).max(64),
  /** Required for a reprint (any job after the record's first). */
  reason: reasonSchema.nullable().default(null),
});
export type NewLabelJob = z.input<typeof newJobSchema>;

export interface UnprintedLabel {
  readonly recordSeq: number;
  readonly serial: string;
  readonly assetTag: string;
  readonly recordedAt: string;
  /** The last failure, or null when no job ever finished (never tried, or the station stopped). */
  readonly lastFailure: string | null;
}

interface JobRow {
  id: number;
  record_seq: number;
  kind: 'first' | 'reprint';
  printer: string;
  format: LabelJobSummary['format'];
  template: string;
  operator_id: string;
  reason: string | null;
  requested_at: string;
  status: 'accepted' | 'failed' | null;
  detail: string | null;
  at: string | null;
}

/** Records searched for a serial per page, newest first, until the one with exactly that serial. */
const SEARCH_PAGE = 200;

export function createLabelStore(db: DatabaseSync, now: () => Date = () => new Date()) {
  // The records are read through the records API; this store writes only its own tables (label_jobs, labels).
  const log = createProvisioningLog(db, now);
  const search = createRecordSearch(db);
  const operators = createOperators(db, now);
  const jobQuery = `SELECT j.*, l.status, l.detail, l.at FROM label_jobs j LEFT JOIN labels l ON l.job_id = j.id`;
  const summary = (row: JobRow): LabelJobSummary => ({
    id: row.id,
    recordSeq: row.record_seq,
    kind: row.kind,
    printer: row.printer,
    format: row.format,
    template: row.template,
    operatorId: row.operator_id,
    reason: row.reason,
    requestedAt: row.requested_at,
    outcome: row.status === null || row.at === null ? null : { status: row.status, detail: row.detail, at: row.at },
  });
  const assetTagOf = (record: ProvisioningRecord): string | null => log.assetTag(record);

  return {
    record: (seq: number): ProvisioningRecord | null => log.get(seq),

    /** The newest provisioned record of the handset with this serial number. */
    recordBySerial(serial: string): ProvisioningRecord | null {
      // The search matches the text anywhere, in any case; the record wanted has exactly this serial.
      if (serial === '' || serial.length > MAX_SEARCH_CHARS) return null;
      let before: number | null = null;
      do {
        const page = search.page({ status: 'provisioned' }, { search: serial, limit: SEARCH_PAGE, ...(before === null ? {} : { before }) });
        const found = page.records.find((record) => record.serial === serial);
        if (found) return found;
        before = page.next;
      } while (before !== null);
      return null;
    },

    /** Records a job before anything is sent; a job after the record's first is a reprint and needs a reason. */
    createJob(input: NewLabelJob): LabelJobSummary {
      const parsed = newJobSchema.safeParse(input);
      if (!parsed.success) throw new LabelError('NOT_LABELLABLE', `invalid label job: ${issueLines(parsed.error).lines.join('; ')}`);
      const job = parsed.data;
      return inWriteTransaction(db, () => {
        const target = log.get(job.recordSeq);
        if (!target) throw new LabelError('NO_RECORD', `there is no provisioning record ${job.recordSeq}.`);
        if (target.outcome !== 'provisioned' || assetTagOf(target) === null) throw new LabelError('NOT_LABELLABLE', `record ${job.recordSeq} has no asset tag to label.`);
        const operator = operators.get(job.operatorId);
        if (!operator || operator.disabledAt !== null) {
          throw new LabelError('NOT_LABELLABLE', `operator ${displaySafe(job.operatorId, 64)} does not exist or is disabled.`);
        }
        const earlier = db.prepare('SELECT COUNT(*) AS n FROM label_jobs WHERE record_seq = ?').get(job.recordSeq) as { n: number };
        const kind = earlier.n === 0 ? 'first' : 'reprint';
        if (kind === 'reprint' && job.reason === null) {
          throw new LabelError('NOT_LABELLABLE', `record ${job.recordSeq}'s label was printed before (or tried); a reprint needs a reason.`);
        }
        const { lastInsertRowid } = db
          .prepare('INSERT INTO label_jobs (record_seq, kind, printer, format, template, operator_id, reason, requested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
          .run(job.recordSeq, kind, job.printer, job.format, job.template, job.operatorId, job.reason, now().toISOString());
        return summary(db.prepare(`${jobQuery} WHERE j.id = ?`).get(lastInsertRowid) as unknown as JobRow);
      });
    },

    /** The printer's answer to a job, once: accepted, or failed with why. */
    finishJob(jobId: number, status: 'accepted' | 'failed', detail: string): void {
      inWriteTransaction(db, () => {
        const job = db.prepare('SELECT record_seq, printer, operator_id FROM label_jobs WHERE id = ?').get(jobId) as { record_seq: number; printer: string; operator_id: string } | undefined;
        if (!job) throw new LabelError('NO_RECORD', `there is no label job ${jobId}.`);
        db.prepare('INSERT INTO labels (record_seq, printer, status, detail, operator_id, at, job_id) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
          job.record_seq,
          job.printer,
          status,
          detail.slice(0, 2000),
          job.operator_id,
          now().toISOString(),
          jobId,
        );
      });
    },

    /** The record's label jobs, oldest first, each with its outcome. */
    jobs(recordSeq: number): LabelJobSummary[] {
      return (db.prepare(`${jobQuery} WHERE j.record_seq = ? ORDER BY j.id`).all(recordSeq) as unknown as JobRow[]).map(summary);
    },

    isPrinted(recordSeq: number): boolean {
      return db.prepare("SELECT 1 FROM labels WHERE record_seq = ? AND status = 'accepted'").get(recordSeq) !== undefined;
    },

    /** Provisioned, tagged records without an accepted label, oldest first. */
    unprinted(limit = 1000): UnprintedLabel[] {
      const printed = new Set((db.prepare("SELECT record_seq FROM labels WHERE status = 'accepted'").all() as { record_seq: number }[]).map((row) => row.record_seq));
      const lastFailure = db.prepare("SELECT detail FROM labels WHERE record_seq = ? AND status = 'failed' ORDER BY id DESC LIMIT 1");
      const found: UnprintedLabel[] = [];
      if (limit < 1) return found;
      for (const row of log.rows({ status: 'provisioned' })) {
        if (printed.has(row.seq)) continue;
        const record = recordFromRow(row);
        const assetTag = assetTagOf(record);
        if (assetTag === null) continue;
        const failure = lastFailure.get(row.seq) as { detail: string | null } | undefined;
        found.push({ recordSeq: record.seq, serial: record.serial, assetTag, recordedAt: record.recordedAt, lastFailure: failure?.detail ?? null });
        if (found.length >= limit) break;
      }
      return found;
    },
  };
}

export type LabelStore = ReturnType<typeof createLabelStore>;

/**
 * Runs `work` on a connection of its own to the station's database, closed afterwards: label jobs
 * outlive any one batch, so nothing holds the file open between them.
 */
export function withLabelStore<T>(databasePath: string, work: (store: LabelStore) => T, now?: () => Date): T {
  const db = openDatabase(databasePath);
  try {
    return work(createLabelStore(db, now));
  } finally {
    db.close();
  }
}
