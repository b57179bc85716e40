// The per-batch summary of the PDF report: for each batch the exported records belong to, its name,
// bundle (version and manifest hash), counts by outcome and failure code, and the supervisors whose
// authorisations its irreversible steps ran under. Counted in SQL over the same filter as the
// report's rows, so 100 000 records cost one grouped scan rather than a second pass in JavaScript.
import type { DatabaseSync } from 'node:sqlite';
import type { AuthorisationSummary, BatchSummary, RecordFilter } from '../../shared/records.ts';
import { legacyFailureCode, NOT_RECORDED } from './pdf-record-cells.ts';
import { filterSql } from './record-filter.ts';

interface TallyRow {
  batch_id: number;
  outcome: string;
  bundle_version: string | null;
  bundle_hash: string | null;
  authorisation_id: number | null;
  failure_code: string | null;
  code_head: string | null;
  n: number;
}

/** One batch's records among those exported, counted as the PDF report's summary words them (mutable while counting). */
export interface BatchTally {
  readonly batchId: number;
  total: number;
  readonly outcomes: Map<string, number>;
  /** Failed records by the code their reason starts with. */
  readonly failureCodes: Map<string, number>;
  /** Records by the bundle they name, keyed by the JSON of `[version, hash]`. */
  readonly bundles: Map<string, number>;
  /** Records by the authorisation they cite. */
  readonly authorisations: Map<number, number>;
}

const add = <K>(map: Map<K, number>, key: K, n: number): void => {
  map.set(key, (map.get(key) ?? 0) + n);
};

/** One tally per batch among the records matching `filter`, in batch order. */
export function tallyBatches(db: DatabaseSync, filter: RecordFilter): BatchTally[] {
  const { where, params } = filterSql(filter);
  const rows = db
    .prepare(
      `SELECT batch_id, outcome, body_json ->> '$.bundleVersion' AS bundle_version, body_json ->> '$.bundleHash' AS bundle_hash,
        body_json ->> '$.authorisationId' AS authorisation_id, body_json ->> '$.failureCode' AS failure_code,
        CASE WHEN body_json ->> '$.failureReason' LIKE '[%]%'
          THEN substr(body_json ->> '$.failureReason', 1, instr(body_json ->> '$.failureReason', ']')) END AS code_head,
        COUNT(*) AS n
      FROM provisioning_records WHERE ${where} GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1`,
    )
    .all(...params) as unknown as TallyRow[];
  const tallies = new Map<number, BatchTally>();
  for (const row of rows) {
    let tally = tallies.get(row.batch_id);
    if (!tally) {
      tally = { batchId: row.batch_id, total: 0, outcomes: new Map(), failureCodes: new Map(), bundles: new Map(), authorisations: new Map() };
      tallies.set(row.batch_id, tally);
    }
    tally.total += row.n;
    add(tally.outcomes, row.outcome, row.n);
    const code = row.failure_code ?? legacyFailureCode(row.code_head).code;
    if (row.outcome === 'failed') add(tally.failureCodes, code === NOT_RECORDED ? `code ${NOT_RECORDED}` : code, row.n);
    add(tally.bundles, JSON.stringify([row.bundle_version ?? '', row.bundle_hash ?? '']), row.n);
    if (row.authorisation_id !== null) add(tally.authorisations, row.authorisation_id, row.n);
  }
  return [...tallies.values()];
}

/** A line of the summary (untrusted text: names and versions come from operators and bundles); `mono` lines hold a hash. */
export interface SummaryLine {
  readonly text: string;
  readonly style?: 'heading' | 'mono';
}

const counted = (map: Map<string, number>): string => [...map].map(([key, n]) => `${key} ${n}`).join(', ');

function authorisationLine(authorisation: AuthorisationSummary, cited: number): string {
  const what = [authorisation.fuses.length > 0 ? `fuses ${authorisation.fuses.join(', ')}` : 'no fuses', authorisation.lock ? 'the bootloader lock' : 'no lock'];
  return (
    `Supervisor ${authorisation.supervisorId}: authorisation #${authorisation.id} for ${what.join(' and ')}, up to ${authorisation.deviceCap} handsets ` +
    `(${authorisation.devicesUsed} used), ${authorisation.createdAt} until ${authorisation.expiresAt}; cited by ${cited} of these records`
  );
}

/** What the report says about one batch; `batch` is null when the journal has no such batch. */
export function batchSummaryLines(tally: BatchTally, batch: BatchSummary | null, authorisations: readonly AuthorisationSummary[]): SummaryLine[] {
  const lines: SummaryLine[] = [];
  const failed = tally.outcomes.get('failed') ?? 0;
  const codes = failed > 0 ? ` (${counted(tally.failureCodes)})` : '';
  if (batch) {
    lines.push({ text: `Batch ${batch.id}: ${batch.name}`, style: 'heading' });
    const tags = batch.assetTagPattern === null ? 'no asset tags' : `asset tags ${batch.assetTagPattern}`;
    lines.push({ text: `Product ${batch.product}; started ${batch.startedAt} by ${batch.operatorId}; ${tags}` });
    lines.push({ text: `Bundle ${batch.bundleVersion}, manifest SHA-256:` });
    lines.push({ text: batch.bundleHash, style: 'mono' });
  } else {
    lines.push({ text: `Batch ${tally.batchId}: not in this station's journal`, style: 'heading' });
  }
  lines.push({ text: `Records: ${tally.total}; provisioned ${tally.outcomes.get('provisioned') ?? 0}, failed ${failed}${codes}` });
  for (const [key, n] of tally.bundles) {
    const [version, hash] = JSON.parse(key) as [string, string];
    if (batch && version === batch.bundleVersion && hash === batch.bundleHash) continue;
    lines.push({ text: `${n} record(s) name bundle ${version}, manifest SHA-256:` }, { text: hash, style: 'mono' });
  }
  for (const authorisation of authorisations) lines.push({ text: authorisationLine(authorisation, tally.authorisations.get(authorisation.id) ?? 0) });
  if (authorisations.length === 0) lines.push({ text: 'Supervisor: none; no supervisor authorised irreversible steps for this batch' });
  const unknown = [...tally.authorisations].filter(([id]) => !authorisations.some((authorisation) => authorisation.id === id));
  for (const [id, n] of unknown) lines.push({ text: `${n} record(s) cite authorisation #${id}, which is not one of this batch's` });
  return lines;
}
