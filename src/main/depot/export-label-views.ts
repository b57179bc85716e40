// The label jobs and outcomes the depot's CSV and PDF views show (the JSON Lines export carries them
// as label lines, docs/records.md): of each station's records in the range, as the depot holds them.
// Read for a person, each entry is one print of a label: the job (who asked, when, why, which
// printer and template) with its outcome (the printer took it or failed, in its words), or a job not
// taken (yet), or an outcome from before label jobs (no job). The station did not hash nor sign these
// rows; each body is checked against its schema first, and one that is not a label job or outcome stops
// the view, naming it, rather than showing a guess.
import type pg from 'pg';
import { labelJobBodySchema, labelOutcomeBodySchema, type DepotExportFilter } from '../../shared/depot-export.ts';
import { recordSerial } from '../../shared/records.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import type { z } from 'zod';
import { DepotError } from './errors.ts';
import { heldLabelPages, viewedRecords } from './export-snapshot.ts';

export type LabelJobBody = z.infer<typeof labelJobBodySchema>;
export type LabelOutcomeBody = z.infer<typeof labelOutcomeBodySchema>;

/** One print of a record's label: a job and its outcome, a job without one, or an outcome without a job. */
export interface LabelEntry {
  readonly recordSeq: number;
  /** The record's serial, to read the entry without the devices table beside it. */
  readonly serial: string;
  readonly job: LabelJobBody | null;
  readonly outcome: LabelOutcomeBody | null;
}

/** What an entry says happened: the outcome's status, or that the job has none. */
export const labelStatus = (entry: LabelEntry): string => entry.outcome?.status ?? 'not taken (yet)';

async function heldBodies<T>(
  client: pg.Client,
  station: string,
  table: 'label_jobs' | 'label_outcomes',
  schema: z.ZodType<T>,
  serials: ReadonlyMap<number, string>,
): Promise<T[]> {
  const bodies: T[] = [];
  const what = table === 'label_jobs' ? 'label job' : 'label outcome';
  for await (const page of heldLabelPages(client, table, station)) {
    for (const { id, recordSeq, body } of page) {
      if (!serials.has(recordSeq)) continue;
      const parsed = schema.safeParse(JSON.parse(body));
      if (!parsed.success) {
        throw new DepotError(
          `${what} ${id} of station ${station} is not one this Lockstep can show (${displaySafe(parsed.error.issues[0]?.message ?? 'invalid', 200)}); ` +
            'export the depot as JSON Lines (--format jsonl) and check it with lockstep records verify.',
        );
      }
      bodies.push(parsed.data);
    }
  }
  return bodies;
}

/**
 * The label entries of a station's records in the filter's range, by record, then in the order they
 * happened: outcomes from before label jobs first, then each job (in id order) with its outcome.
 */
export async function viewedLabels(client: pg.Client, station: string, filter: DepotExportFilter): Promise<LabelEntry[]> {
  const serials = new Map<number, string>();
  for await (const page of viewedRecords(client, station, filter)) for (const { link, record } of page) serials.set(link.seq, recordSerial(record));
  if (serials.size === 0) return [];
  const jobs = await heldBodies(client, station, 'label_jobs', labelJobBodySchema, serials);
  const outcomes = await heldBodies(client, station, 'label_outcomes', labelOutcomeBodySchema, serials);
  const jobIds = new Set(jobs.map((job) => job.id));
  const outcomeOf = new Map(outcomes.filter((outcome) => outcome.job_id !== null && jobIds.has(outcome.job_id)).map((outcome) => [outcome.job_id, outcome]));
  const serialOf = (recordSeq: number): string => serials.get(recordSeq) ?? '';
  const entries: LabelEntry[] = [
    ...outcomes
      .filter((outcome) => outcome.job_id === null || !jobIds.has(outcome.job_id))
      .map((outcome) => ({ recordSeq: outcome.record_seq, serial: serialOf(outcome.record_seq), job: null, outcome })),
    ...jobs.map((job) => ({ recordSeq: job.record_seq, serial: serialOf(job.record_seq), job, outcome: outcomeOf.get(job.id) ?? null })),
  ];
  // A stable sort: within a record, the jobless outcomes (older) stay before the jobs.
  return entries.sort((a, b) => a.recordSeq - b.recordSeq);
}
