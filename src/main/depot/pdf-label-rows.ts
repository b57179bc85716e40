// The labels table of the depot's PDF (export-pdf.ts): each print of a record's label on two rows,
// first the record and the job (who asked, when, which printer) with what happened to it, then the
// format and template, the reprint reason, and the outcome's time, operator and the printer's words.
// Cells are plain text, escaped by the page writer like every value a station sent.
import { columns, USABLE_WIDTH, type Row } from '../records/pdf-page-writer.ts';
import { labelStatus, type LabelEntry } from './export-label-views.ts';

const SEQ_WIDTH = 28;
const ENTRY_COLUMNS = columns([SEQ_WIDTH, 89, 32, 44, 80, 68, 84, USABLE_WIDTH - SEQ_WIDTH - 397]);
const DETAIL_COLUMNS = columns([130, 150, USABLE_WIDTH - SEQ_WIDTH - 280], SEQ_WIDTH);
const EMPTY = '—';
/** The printer's words are shown up to this many characters before the visible truncation marker. */
const DETAIL_LIMIT = 1000;

export const LABEL_HEADER: readonly Row[] = [
  { header: true, columns: ENTRY_COLUMNS, cells: ['Seq', 'Serial', 'Job', 'Kind', 'Requested (UTC)', 'Requested by', 'Printer', 'Outcome'] },
  { header: true, columns: DETAIL_COLUMNS, cells: ['Format, template', 'Reprint reason', "Outcome at (UTC), by, printer's words"] },
];

export const LABELS_LEGEND =
  'Each print of a label: the job an operator asked for and its outcome. "not taken (yet)": the job has no outcome; Job "—": an outcome ' +
  'from before label jobs. The station neither hashed nor signed these rows: they are what the depot holds.';

/** `2026-11-25 08:04:00` for a time in Date.toISOString's form; any other text as it is. */
const utcTime = (text: string): string => text.replace(/^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(\.\d+)?Z$/, '$1 $2');

export function labelRows(entry: LabelEntry): Row[] {
  const { job, outcome } = entry;
  const answer = outcome === null ? EMPTY : `${utcTime(outcome.at)} by ${outcome.operator_id}${outcome.detail === null ? '' : `: ${outcome.detail}`}`;
  return [
    {
      columns: ENTRY_COLUMNS,
      cells: [
        String(entry.recordSeq),
        entry.serial,
        job === null ? EMPTY : String(job.id),
        job?.kind ?? EMPTY,
        job === null ? EMPTY : utcTime(job.requested_at),
        job?.operator_id ?? EMPTY,
        job?.printer ?? outcome?.printer ?? EMPTY,
        labelStatus(entry),
      ],
    },
    { columns: DETAIL_COLUMNS, cells: [job === null ? EMPTY : `${job.format}, ${job.template}`, job?.reason ?? EMPTY, answer], limit: DETAIL_LIMIT },
  ];
}
