// Offline verification of a depot export (docs/records.md, "The depot export"): the file alone, no
// database. Each station's section is checked as a station's own export is (every line's bytes,
// schema and hash, every link), then against its head line (counts, first and last link, the
// filter); the depot's head against the sections. The first line that breaks is named, with why.
import {
  DEPOT_EXPORT_FORMAT,
  depotExportStartSchema,
  depotHeadLineSchema,
  labelJobLineSchema,
  labelOutcomeLineSchema,
  stationHeadLineSchema,
  stationHeadLineV1Schema,
  stationHeadLineV3Schema,
  type DepotExportFormat,
  type DepotHeadLine,
  type DepotVerifyOutcome,
  type LabelJobLine,
  type LabelOutcomeLine,
  type SectionSignature,
  type StationHeadLine,
} from '../../shared/depot-export.ts';
import { elidedLineSchema, recordLineSchemaFor } from '../../shared/records.ts';
import { firstIssue } from '../../shared/zod-issues.ts';
import { canonicalJson } from './canonical-json.ts';
import { GENESIS_HASH, linkBreak, type ChainLink } from './chain.ts';
import { readLines } from './line-reader.ts';
import type { Break } from './verify-chain-head.ts';
import { checkSectionSignature } from './verify-depot-signature.ts';
import { checkChainLine, failure, jsonOfLine, MAX_LINE_BYTES, notAsWritten } from './verify-export.ts';

type Parsed =
  | { readonly kind: 'chain'; readonly value: Parameters<typeof checkChainLine>[0] }
  | { readonly kind: 'start'; readonly format: DepotExportFormat }
  | { readonly kind: 'station-head'; readonly value: StationHeadLine }
  | { readonly kind: 'label-job'; readonly value: LabelJobLine }
  | { readonly kind: 'label-outcome'; readonly value: LabelOutcomeLine }
  | { readonly kind: 'depot-head'; readonly value: DepotHeadLine };

/** The line schemas of a format (before line 1 is read, the newest format's: only the start line is valid there). */
function schemasOf(format: DepotExportFormat | null) {
  const common = { 'depot-export': depotExportStartSchema, 'depot-head': depotHeadLineSchema, elided: elidedLineSchema } as const;
  if (format === 'lockstep-depot-export/1') return { ...common, 'station-head': stationHeadLineV1Schema };
  if (format === 'lockstep-depot-export/2') return { ...common, 'station-head': stationHeadLineSchema };
  return { ...common, 'station-head': stationHeadLineV3Schema, 'label-job': labelJobLineSchema, 'label-outcome': labelOutcomeLineSchema };
}

function parse(text: string, line: number, format: DepotExportFormat | null): Break | Parsed {
  const read = jsonOfLine(text, line);
  if (!('json' in read)) return read;
  const { json } = read;
  const type = (json as { type?: unknown } | null)?.type;
  const schemas = schemasOf(format);
  const schema = type === 'record' ? recordLineSchemaFor(json) : typeof type === 'string' && Object.hasOwn(schemas, type) ? schemas[type as keyof typeof schemas] : null;
  const parsed = schema?.safeParse(json);
  if (!parsed?.success) {
    const detail = parsed ? firstIssue(parsed.error) : null;
    const where = detail ? ` (${detail.field === null ? detail.message : `${detail.field}: ${detail.message}`})` : '';
    return { line, problem: 'malformed', message: `is not a line of a Lockstep depot export${where}: the file was edited or damaged.` };
  }
  const value = parsed.data as { type: string };
  // Lockstep writes these lines as canonical JSON; any other text for the same value is an edit.
  if (value.type !== 'record' && value.type !== 'elided' && text !== canonicalJson(value)) return notAsWritten(line);
  if (value.type === 'record' || value.type === 'elided') return { kind: 'chain', value: value as Parameters<typeof checkChainLine>[0] };
  if (value.type === 'depot-export') return { kind: 'start', format: (parsed.data as { format: DepotExportFormat }).format };
  if (value.type === 'label-job') return { kind: 'label-job', value: value as LabelJobLine };
  if (value.type === 'label-outcome') return { kind: 'label-outcome', value: value as LabelOutcomeLine };
  return value.type === 'station-head' ? { kind: 'station-head', value: value as StationHeadLine } : { kind: 'depot-head', value: value as DepotHeadLine };
}

/** One station's section as read so far. */
interface Section {
  first: ChainLink | null;
  firstLine: number;
  firstElided: boolean;
  firstElidedLine: number | null;
  last: ChainLink | null;
  lastLine: number;
  lines: number;
  /** Record lines: their line, seq and commit time, for the filter and signature checks. */
  readonly records: { readonly line: number; readonly seq: number; readonly recordedAt: string }[];
  /** seq → hash of every chain line, for the station's signed head (format 2). */
  readonly hashes: Map<number, string>;
  /** Format 3: job id → its record, for each label job line, and how many outcome lines, each after the chain lines. */
  readonly labelJobs: Map<number, number>;
  lastOutcomeId: number;
  labelOutcomes: number;
}

const emptySection = (): Section => ({
  first: null,
  firstLine: 0,
  firstElided: false,
  firstElidedLine: null,
  last: null,
  lastLine: 0,
  lines: 0,
  records: [],
  hashes: new Map(),
  labelJobs: new Map(),
  lastOutcomeId: 0,
  labelOutcomes: 0,
});

/**
 * A label line against its section so far: after the chain lines, jobs before outcomes, each kind in
 * id order, labelling a record the section holds in full, an outcome naming a job of that record.
 */
function labelProblem(parsed: Extract<Parsed, { kind: 'label-job' | 'label-outcome' }>, section: Section, line: number): Break | null {
  const body = parsed.kind === 'label-job' ? parsed.value.job : parsed.value.outcome;
  const what = parsed.kind === 'label-job' ? `label job ${body.id}` : `label outcome ${body.id}`;
  const lastJob = Math.max(0, ...section.labelJobs.keys());
  const outOfOrder = parsed.kind === 'label-job' ? section.labelOutcomes > 0 || body.id <= lastJob : body.id <= section.lastOutcomeId;
  if (outOfOrder) return { line, problem: 'inserted', message: `holds ${what} out of order: a section's label jobs, then its outcomes, each in id order.` };
  if (!section.records.some(({ seq }) => seq === body.record_seq)) {
    return { line, problem: 'edited', message: `holds ${what} of record ${body.record_seq}, which the section does not hold in full.` };
  }
  if (parsed.kind === 'label-outcome' && parsed.value.outcome.job_id !== null) {
    const jobRecord = section.labelJobs.get(parsed.value.outcome.job_id);
    if (jobRecord === undefined) return { line, problem: 'deleted', message: `holds ${what} of label job ${parsed.value.outcome.job_id}, which the section does not hold: it was deleted.` };
    if (jobRecord !== body.record_seq) return { line, problem: 'edited', message: `holds ${what} of record ${body.record_seq}, but its job ${parsed.value.outcome.job_id} labels record ${jobRecord}.` };
  }
  return null;
}

function linkProblem(link: ChainLink, previous: ChainLink, line: number, previousLine: number): Break | null {
  const broken = linkBreak(previous, link);
  if (!broken) return null;
  if (broken.kind === 'gap') return { line, problem: 'deleted', message: `holds record ${link.seq} but record ${broken.expectedSeq} should follow line ${previousLine}: lines were deleted or reordered.` };
  if (broken.kind === 'backwards') return { line, problem: 'inserted', message: `holds record ${link.seq}, which does not follow record ${previous.seq} of line ${previousLine}: a line was inserted or lines reordered.` };
  return { line, problem: 'inserted', message: `does not link to line ${previousLine} (its prevHash is not that line's hash): a line was inserted before it, or line ${previousLine} was replaced.` };
}

/** A station's head line against its section and the depot's filter (known only at the end, so checked then). */
function checkSection(head: StationHeadLine, headLine: number, section: Section, filter: DepotHeadLine['filter']): Break | null {
  const at = (message: string, problem: Break['problem'] = 'edited', line = headLine): Break => ({ line, problem, message: `station ${head.station}: ${message}` });
  const filtered = filter.from !== null || filter.to !== null;
  if (section.lines !== head.lines) return at(`its head line counts ${head.lines} chain lines but the section holds ${section.lines}.`, section.lines < head.lines ? 'deleted' : 'inserted');
  if (section.records.length !== head.records) return at(`its head line counts ${head.records} records but the section holds ${section.records.length}.`);
  if (head.labelJobs !== undefined && (head.labelJobs !== section.labelJobs.size || head.labelOutcomes !== section.labelOutcomes)) {
    const held = section.labelJobs.size + section.labelOutcomes;
    return at(
      `its head line counts ${head.labelJobs} label jobs and ${head.labelOutcomes} outcomes but the section holds ${section.labelJobs.size} and ${section.labelOutcomes}.`,
      held < head.labelJobs + (head.labelOutcomes ?? 0) ? 'deleted' : 'inserted',
    );
  }
  if (!section.first || !section.last) {
    if (head.firstPrevHash !== head.headHash) return at('its section is empty, so its firstPrevHash must be its headHash.', 'deleted');
    if (!filtered && (head.headSeq !== 0 || head.headHash !== GENESIS_HASH)) return at(`an unfiltered export holds every record, but the section is empty while its head is record ${head.headSeq}.`, 'deleted');
    return null;
  }
  if (section.first.prevHash !== head.firstPrevHash) return at("the first chain line does not link to the head line's firstPrevHash.", 'deleted', section.firstLine);
  if (section.last.seq !== head.headSeq || section.last.hash !== head.headHash) return at(`the last chain line is not the head (record ${head.headSeq}).`, 'edited', section.lastLine);
  if (!filtered) {
    if (section.first.seq !== 1 || section.first.prevHash !== GENESIS_HASH) return at('an unfiltered export starts each chain at record 1, but records before this line are missing.', 'deleted', section.firstLine);
    if (section.firstElidedLine !== null) return at('an unfiltered export elides no record.', 'edited', section.firstElidedLine);
    return null;
  }
  if (section.firstElided) return at('a filtered section starts with the first record matching the filter, not an elided line.', 'edited', section.firstLine);
  const outside = section.records.find(({ recordedAt }) => (filter.from !== null && recordedAt < filter.from) || (filter.to !== null && recordedAt >= filter.to));
  return outside ? at(`the record was committed at ${outside.recordedAt}, outside the export's time range.`, 'edited', outside.line) : null;
}

/** Whether the file starts as a depot export does (its first line names the format), so `records verify` can tell. */
export async function isDepotExport(path: string): Promise<boolean> {
  for await (const read of readLines(path, MAX_LINE_BYTES)) return 'text' in read && depotExportStartSchema.safeParse(tryJson(read.text)).success;
  return false;
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export async function verifyDepotExport(path: string): Promise<DepotVerifyOutcome> {
  let lineNumber = 0;
  let terminated = true;
  let section = emptySection();
  const heads: { readonly head: StationHeadLine; readonly line: number; readonly section: Section }[] = [];
  let depotHead: DepotHeadLine | null = null;
  let format: DepotExportFormat | null = null;
  let records = 0;

  for await (const read of readLines(path, MAX_LINE_BYTES)) {
    lineNumber += 1;
    if ('unreadable' in read) return failure({ line: lineNumber, problem: 'malformed', message: `${read.unreadable}: the file was edited or damaged.` });
    terminated = read.terminated;
    if (depotHead) return failure({ line: lineNumber, problem: 'inserted', message: 'follows the depot head line: lines were added after it.' });
    const parsed = parse(read.text, lineNumber, format);
    if ('problem' in parsed) return failure(parsed);
    if ((lineNumber === 1) !== (parsed.kind === 'start')) {
      return failure({ line: lineNumber, problem: lineNumber === 1 ? 'deleted' : 'inserted', message: lineNumber === 1 ? 'is not the depot export line that starts the file.' : 'repeats the line that starts a depot export.' });
    }
    if (parsed.kind === 'start') {
      format = parsed.format;
      continue;
    }
    if (parsed.kind === 'label-job' || parsed.kind === 'label-outcome') {
      const problem = labelProblem(parsed, section, lineNumber);
      if (problem) return failure(problem);
      if (parsed.kind === 'label-job') section.labelJobs.set(parsed.value.job.id, parsed.value.job.record_seq);
      else {
        section.lastOutcomeId = parsed.value.outcome.id;
        section.labelOutcomes += 1;
      }
      continue;
    }
    if (parsed.kind === 'chain') {
      if (section.labelJobs.size + section.labelOutcomes > 0) {
        return failure({ line: lineNumber, problem: 'inserted', message: "is a chain line after its section's label lines: lines were moved or inserted." });
      }
      const line = parsed.value;
      const broken = checkChainLine(line, read.text, lineNumber);
      if (broken) return failure(broken);
      const link: ChainLink = { seq: line.seq, prevHash: line.prevHash, hash: line.hash };
      if (section.last) {
        const problem = linkProblem(link, section.last, lineNumber, section.lastLine);
        if (problem) return failure(problem);
      } else {
        section.first = link;
        section.firstLine = lineNumber;
        section.firstElided = line.type === 'elided';
      }
      if (format !== 'lockstep-depot-export/1') section.hashes.set(link.seq, link.hash);
      if (line.type === 'record') section.records.push({ line: lineNumber, seq: link.seq, recordedAt: line.record.recordedAt });
      else section.firstElidedLine ??= lineNumber;
      section.last = link;
      section.lastLine = lineNumber;
      section.lines += 1;
      continue;
    }
    if (parsed.kind === 'station-head') {
      const previous = heads.at(-1)?.head.station;
      if (previous !== undefined && parsed.value.station <= previous) {
        return failure({ line: lineNumber, problem: 'inserted', message: `names station ${parsed.value.station} after ${previous}: sections come once each, in name order.` });
      }
      heads.push({ head: parsed.value, line: lineNumber, section });
      records += section.records.length;
      section = emptySection();
      continue;
    }
    depotHead = parsed.value;
    if (section.lines + section.labelJobs.size + section.labelOutcomes > 0) {
      return failure({ line: section.firstLine || lineNumber, problem: 'deleted', message: 'begins a station section that has no station head line: it was deleted.' });
    }
  }

  if (!depotHead) return failure({ line: lineNumber + 1, problem: 'truncated', message: `the file ends after line ${lineNumber} without its depot head line: it was truncated.` });
  if (!terminated) return failure({ line: lineNumber, problem: 'truncated', message: 'ends without the line feed that ends every line: the file was cut short.' });
  const signatures: SectionSignature[] = [];
  for (const { head, line, section: held } of heads) {
    const broken = checkSection(head, line, held, depotHead.filter);
    if (broken) return failure(broken);
    if (format === 'lockstep-depot-export/1') continue;
    const facts = { firstSeq: held.first?.seq ?? null, firstPrevHash: head.firstPrevHash, hashes: held.hashes, recordSeqs: held.records.map(({ seq }) => seq) };
    const signature = checkSectionSignature(head, line, facts);
    if ('problem' in signature) return failure(signature);
    signatures.push(signature);
  }
  const { filter } = depotHead;
  if (filter.station !== null && (heads.length !== 1 || heads[0]?.head.station !== filter.station)) {
    return failure({ line: lineNumber, problem: 'edited', message: `the export is of station ${filter.station} alone, but its sections are ${heads.map(({ head }) => head.station).join(', ') || 'none'}.` });
  }
  if (depotHead.stations !== heads.length || depotHead.lines !== lineNumber - 1 || depotHead.records !== records) {
    return failure({
      line: lineNumber,
      problem: depotHead.lines > lineNumber - 1 || depotHead.stations > heads.length ? 'deleted' : 'inserted',
      message: `the depot head counts ${depotHead.stations} stations, ${depotHead.lines} lines and ${depotHead.records} records; the file holds ${heads.length}, ${lineNumber - 1} and ${records}.`,
    });
  }
  return { intact: true, format: format ?? DEPOT_EXPORT_FORMAT, lines: lineNumber, records, head: depotHead, stations: heads.map(({ head }) => head), signatures };
}
