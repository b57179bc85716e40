// Offline verification of a JSON Lines export: needs the file and, to pin the station, its public
// key; never the database. Checks every line as it reads it (its bytes, its schema, its hash, its
// link to the line before), then the signed chain head against what the file holds, and names the
// first line that breaks and why. docs/records.md lists the checks in the order they are made.
import type { z } from 'zod';
import { chainHeadLineSchema, elidedLineSchema, recordLineSchemaFor, type ChainHeadLine, type ElidedLine, type VerifyOutcome } from '../../shared/records.ts';
import { firstIssue } from '../../shared/zod-issues.ts';
import { canonicalJson } from './canonical-json.ts';
import { chainHash, linkBreak, type ChainLink, type LinkBreak } from './chain.ts';
import { elidedLineText, recordLineText } from './export-line.ts';
import { readLines } from './line-reader.ts';
import { checkHead, type Break, type RecordLineFacts } from './verify-chain-head.ts';
import { refuseReadingView } from './verify-reading-view.ts';

/** A record holds device strings of up to a few MiB; anything far beyond is not our export. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

/** A link break found while reading, classified once the rest of the file has been seen. */
interface PendingBreak {
  readonly line: number;
  readonly link: ChainLink;
  readonly previousLine: number;
  readonly cause: LinkBreak;
}

/** A line that parses to a valid value but is not the text the station wrote (duplicate keys, spacing, escapes). */
export function notAsWritten(line: number): Break {
  return {
    line,
    problem: 'edited',
    message: 'is not byte for byte the line the station wrote (duplicate keys, spacing, key order or escapes differ): it was edited.',
  };
}

export function failure(found: Break): Extract<VerifyOutcome, { intact: false }> {
  return { intact: false, line: found.line, problem: found.problem, message: `line ${found.line}: ${found.message}` };
}

function classify(pending: PendingBreak, seqLines: ReadonlyMap<number, number>, laterSeqLines: ReadonlyMap<number, number>): Break {
  const { line, link, previousLine, cause } = pending;
  if (cause.kind === 'gap') {
    const later = laterSeqLines.get(cause.expectedSeq);
    return later !== undefined
      ? { line, problem: 'reordered', message: `holds record ${link.seq} where record ${cause.expectedSeq} belongs (it appears later, at line ${later}): lines were reordered.` }
      : {
          line,
          problem: 'deleted',
          message: `holds record ${link.seq} but record${link.seq - cause.expectedSeq > 1 ? `s ${cause.expectedSeq} to ${link.seq - 1} are` : ` ${cause.expectedSeq} is`} missing before it: lines were deleted.`,
        };
  }
  if (cause.kind === 'backwards') {
    const earlier = seqLines.get(link.seq);
    return earlier !== undefined
      ? { line, problem: 'inserted', message: `repeats record ${link.seq} of line ${earlier}: a line was inserted.` }
      : { line, problem: 'reordered', message: `holds record ${link.seq}, which belongs before line ${previousLine}: lines were reordered.` };
  }
  return {
    line,
    problem: 'inserted',
    message: `does not link to line ${previousLine} (its prevHash is not that line's hash): a line was inserted before it, or line ${previousLine} was replaced.`,
  };
}

/** The sequence number a line claims, for naming where a missing record went; undefined when it has none. */
function claimedSeq(text: string): unknown {
  try {
    return (JSON.parse(text) as { seq?: unknown } | null)?.seq;
  } catch {
    return undefined;
  }
}

type ExportLine = z.infer<ReturnType<typeof recordLineSchemaFor>> | ElidedLine | ChainHeadLine;

/** Checks 3 to 5 of one line: no byte-order mark, JSON, the schema of its line type and record format. */
/** A line's JSON value, or why it has none; the first step of reading a line of any export. */
export function jsonOfLine(text: string, line: number): Break | { readonly json: unknown } {
  // Re-saving the export "as UTF-8 with BOM" in an editor adds exactly these bytes: name them, not just "not JSON".
  if (text.startsWith('\uFEFF')) {
    return { line, problem: 'edited', message: 'starts with a byte-order mark (EF BB BF), which the station never writes: the file was edited or re-saved by an editor.' };
  }
  try {
    return { json: JSON.parse(text) as unknown };
  } catch {
    return { line, problem: 'malformed', message: 'is not valid JSON: the file was edited or damaged.' };
  }
}

function parseLine(text: string, line: number): Break | { readonly value: ExportLine } {
  const read = jsonOfLine(text, line);
  if (!('json' in read)) return read;
  const { json } = read;
  const type = (json as { type?: unknown } | null)?.type;
  const schema = type === 'record' ? recordLineSchemaFor(json) : type === 'elided' ? elidedLineSchema : type === 'chain-head' ? chainHeadLineSchema : null;
  const parsed = schema?.safeParse(json);
  if (parsed?.success) return { value: parsed.data };
  const detail = parsed ? firstIssue(parsed.error) : null;
  const where = detail ? ` (${detail.field === null ? detail.message : `${detail.field}: ${detail.message}`})` : '';
  return { line, problem: 'malformed', message: `is not a Lockstep export line${where}: the file was edited or damaged.` };
}

/** Check 6 of a chain line: its hash and its bytes. */
export function checkChainLine(line: Exclude<ExportLine, ChainHeadLine>, text: string, lineNumber: number): Break | null {
  const link: ChainLink = { seq: line.seq, prevHash: line.prevHash, hash: line.hash };
  if (line.type === 'elided') return text === elidedLineText(link) ? null : notAsWritten(lineNumber);
  const body = canonicalJson(line.record);
  if (line.record.seq !== line.seq || chainHash(line.prevHash, body) !== line.hash) {
    return { line: lineNumber, problem: 'edited', message: `record ${line.seq} was edited: its content does not match its hash.` };
  }
  return text === recordLineText(link, body) ? null : notAsWritten(lineNumber);
}

/**
 * Verifies a JSON Lines export. `pinnedKey` is the station's raw Ed25519 public key (base64); without
 * it the key the file names is used, which proves integrity but not which station signed.
 */
export async function verifyJsonlExport(path: string, pinnedKey?: string): Promise<VerifyOutcome> {
  await refuseReadingView(path);
  let lineNumber = 0;
  let terminated = true;
  let previous: ChainLink | null = null;
  let first: ChainLink | null = null;
  let firstIsElided = false;
  let firstElidedLine: number | null = null;
  let lastLine = 0;
  let chainLines = 0;
  const records: RecordLineFacts[] = [];
  let head: ChainHeadLine | null = null;
  let headLine = 0;
  let pending: PendingBreak | null = null;
  const seqLines = new Map<number, number>();
  const laterSeqLines = new Map<number, number>();

  for await (const read of readLines(path, MAX_LINE_BYTES)) {
    lineNumber += 1;
    if ('unreadable' in read) {
      if (pending) break;
      return failure({ line: lineNumber, problem: 'malformed', message: `${read.unreadable}: the file was edited or damaged, or is not a Lockstep export.` });
    }
    const { text } = read;
    terminated = read.terminated;
    if (pending) {
      const seq = claimedSeq(text);
      if (typeof seq === 'number' && !laterSeqLines.has(seq)) laterSeqLines.set(seq, lineNumber);
      continue;
    }
    if (head) return failure({ line: lineNumber, problem: 'inserted', message: `follows the signed chain head (line ${headLine}): lines were added after it.` });
    const parsed = parseLine(text, lineNumber);
    if (!('value' in parsed)) return failure(parsed);
    const line = parsed.value;
    if (line.type === 'chain-head') {
      if (text !== canonicalJson(line)) return failure(notAsWritten(lineNumber));
      head = line;
      headLine = lineNumber;
      continue;
    }
    const broken = checkChainLine(line, text, lineNumber);
    if (broken) return failure(broken);
    const link: ChainLink = { seq: line.seq, prevHash: line.prevHash, hash: line.hash };
    const cause = previous ? linkBreak(previous, link) : null;
    if (cause) {
      pending = { line: lineNumber, link, previousLine: lastLine, cause };
      continue;
    }
    seqLines.set(link.seq, lineNumber);
    if (first === null) {
      first = link;
      firstIsElided = line.type === 'elided';
    }
    if (line.type === 'record') {
      records.push({ line: lineNumber, batchId: line.record.batchId, outcome: line.record.outcome, recordedAt: line.record.recordedAt });
    } else {
      firstElidedLine ??= lineNumber;
    }
    previous = link;
    lastLine = lineNumber;
    chainLines += 1;
  }

  if (pending) return failure(classify(pending, seqLines, laterSeqLines));
  if (!head) {
    return failure({ line: lineNumber + 1, problem: 'truncated', message: `the file ends after line ${lineNumber} without its signed chain head: it was truncated or the head deleted.` });
  }
  if (!terminated) {
    return failure({ line: lineNumber, problem: 'truncated', message: 'ends without the line feed that ends every line the station writes: the file was cut short, or re-saved without it.' });
  }
  const broken = checkHead(head, headLine, { first, firstIsElided, last: previous, lastLine, lines: chainLines, records, firstElidedLine }, pinnedKey);
  if (broken) return failure(broken);
  return { intact: true, lines: lineNumber, records: records.length, head, keyPinned: pinnedKey !== undefined };
}
