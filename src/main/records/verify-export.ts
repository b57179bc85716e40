// Offline verification of a JSON Lines export: needs the file and, to pin the station, its public
// key; never the database. Checks every record's hash, every link, the counts, and the chain-head
// signature, and names the first line that breaks and why.
import { verify } from 'node:crypto';
import { open } from 'node:fs/promises';
import {
  chainHeadLineSchema,
  elidedLineSchema,
  recordLineSchemaFor,
  type ChainHeadLine,
  type VerifyOutcome,
  type VerifyProblem,
} from '../../shared/records.ts';
import { firstIssue } from '../../shared/zod-issues.ts';
import { canonicalJson } from './canonical-json.ts';
import { chainHash, linkBreak, type ChainLink, type LinkBreak } from './chain.ts';
import { CSV_HEADER } from './export-csv.ts';
import { RecordsError } from './errors.ts';
import { elidedLineText, recordLineText } from './export-line.ts';
import { readLines } from './line-reader.ts';
import { fingerprintOf, publicKeyFromRaw } from './station-identity.ts';
import { displaySafe } from '../../shared/untrusted.ts';

/** A record holds device strings of up to a few MiB; anything far beyond is not our export. */
const MAX_LINE_BYTES = 64 * 1024 * 1024;

interface Break {
  readonly line: number;
  readonly problem: VerifyProblem;
  readonly message: string;
}

/** A link break found while reading, classified once the rest of the file has been seen. */
interface PendingBreak {
  readonly line: number;
  readonly link: ChainLink;
  readonly previousLine: number;
  readonly cause: LinkBreak;
}

/** A line that parses to a valid value but is not the text the station wrote (duplicate keys, spacing, escapes). */
function notAsWritten(line: number): Break {
  return {
    line,
    problem: 'edited',
    message: 'is not byte for byte the line the station wrote (duplicate keys, spacing, key order or escapes differ): it was edited.',
  };
}

function failure(found: Break): VerifyOutcome {
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

function checkHead(head: ChainHeadLine, headLine: number, links: { first: ChainLink | null; last: ChainLink | null; lines: number; records: number; lastLine: number }, pinnedKey: string | undefined): Break | null {
  const { signature, ...fields } = head;
  if (pinnedKey !== undefined && pinnedKey !== head.stationPublicKey) {
    return { line: headLine, problem: 'untrusted-key', message: `the export is signed by station ${head.stationFingerprint}, not by the key you passed with --station-key.` };
  }
  let signatureOk: boolean;
  try {
    const key = publicKeyFromRaw(head.stationPublicKey);
    signatureOk =
      fingerprintOf(Buffer.from(head.stationPublicKey, 'base64')) === head.stationFingerprint &&
      verify(null, Buffer.from(canonicalJson(fields), 'utf8'), key, Buffer.from(signature, 'base64'));
  } catch {
    signatureOk = false;
  }
  if (!signatureOk) return { line: headLine, problem: 'signature', message: "the chain head's signature does not verify: the head line was edited, or it was not signed by the station key it names." };
  if (links.first === null || links.last === null) {
    return head.lines === 0 && head.firstPrevHash === head.headHash
      ? null
      : { line: headLine, problem: 'deleted', message: `the signed head counts ${head.lines} chain lines but the file holds none: they were deleted.` };
  }
  if (links.first.prevHash !== head.firstPrevHash) {
    return { line: 1, problem: 'deleted', message: 'the first line does not start where the signed head says the export starts: lines were deleted from the beginning, or line 1 was replaced.' };
  }
  if (links.lines !== head.lines) {
    const problem = links.lines < head.lines ? 'deleted' : 'inserted';
    return { line: headLine, problem, message: `the signed head counts ${head.lines} chain lines but the file has ${links.lines}: lines were ${problem}.` };
  }
  if (links.last.hash !== head.headHash || links.last.seq !== head.headSeq) {
    return { line: links.lastLine, problem: 'edited', message: `the last chain line does not match the signed head (record ${head.headSeq}, hash ${head.headHash}): it was edited, or lines after it were deleted.` };
  }
  if (links.records !== head.records) {
    return { line: headLine, problem: 'edited', message: `the signed head counts ${head.records} full records but the file has ${links.records}: records were elided or restored after signing.` };
  }
  return null;
}

/** Enough of a file's start to tell the station's CSV header or a PDF's signature from a JSON line. */
const SNIFF_BYTES = CSV_HEADER.length + 8;

/** 'CSV' or 'PDF' when the file starts as the station's CSV or PDF export does; null for anything else. */
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
  if (start.replace(/^\xef\xbb\xbf/, '').startsWith(`${CSV_HEADER}\r\n`)) return 'CSV';
  return null;
}

/**
 * Refuses a CSV or PDF export given to verify: they are views of the records for reading, and only
 * the JSON Lines export carries the hash chain and the station's signature a check needs. Reporting
 * such a file "not intact at line 1" would call a good file edited or damaged.
 */
async function refuseReadingView(path: string): Promise<void> {
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

/**
 * Verifies a JSON Lines export. `pinnedKey` is the station's raw Ed25519 public key (base64); without
 * it the key the file names is used, which proves integrity but not which station signed.
 */
export async function verifyJsonlExport(path: string, pinnedKey?: string): Promise<VerifyOutcome> {
  await refuseReadingView(path);
  let lineNumber = 0;
  let previous: ChainLink | null = null;
  let first: ChainLink | null = null;
  let lastLine = 0;
  let records = 0;
  let chainLines = 0;
  let head: ChainHeadLine | null = null;
  let headLine = 0;
  let pending: PendingBreak | null = null;
  const seqLines = new Map<number, number>();
  const laterSeqLines = new Map<number, number>();

  for await (const text of readLines(path, MAX_LINE_BYTES)) {
    lineNumber += 1;
    if (pending) {
      const seq = (() => {
        try {
          return (JSON.parse(text) as { seq?: unknown }).seq;
        } catch {
          return undefined;
        }
      })();
      if (typeof seq === 'number' && !laterSeqLines.has(seq)) laterSeqLines.set(seq, lineNumber);
      continue;
    }
    if (head) return failure({ line: lineNumber, problem: 'inserted', message: `follows the signed chain head (line ${headLine}): lines were added after it.` });
    // Re-saving the export "as UTF-8 with BOM" in an editor adds exactly these bytes: name them, not just "not JSON".
    if (text.startsWith('\uFEFF')) {
      return failure({
        line: lineNumber,
        problem: 'edited',
        message: 'starts with a byte-order mark (EF BB BF), which the station never writes: the file was edited or re-saved by an editor.',
      });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return failure({ line: lineNumber, problem: 'malformed', message: 'is not valid JSON: the file was edited or damaged.' });
    }
    const type = (json as { type?: unknown } | null)?.type;
    const schema = type === 'record' ? recordLineSchemaFor(json) : type === 'elided' ? elidedLineSchema : type === 'chain-head' ? chainHeadLineSchema : null;
    const parsed = schema?.safeParse(json);
    if (!parsed?.success) {
      const detail = parsed ? firstIssue(parsed.error) : null;
      const where = detail ? ` (${detail.field === null ? detail.message : `${detail.field}: ${detail.message}`})` : '';
      return failure({ line: lineNumber, problem: 'malformed', message: `is not a Lockstep export line${where}: the file was edited or damaged.` });
    }
    if (parsed.data.type === 'chain-head') {
      if (text !== canonicalJson(parsed.data)) return failure(notAsWritten(lineNumber));
      head = parsed.data;
      headLine = lineNumber;
      continue;
    }
    const line = parsed.data;
    const link: ChainLink = { seq: line.seq, prevHash: line.prevHash, hash: line.hash };
    if (line.type === 'record') {
      const body = canonicalJson(line.record);
      if (line.record.seq !== line.seq || chainHash(line.prevHash, body) !== line.hash) {
        return failure({ line: lineNumber, problem: 'edited', message: `record ${line.seq} was edited: its content does not match its hash.` });
      }
      if (text !== recordLineText(link, body)) return failure(notAsWritten(lineNumber));
    } else if (text !== elidedLineText(link)) {
      return failure(notAsWritten(lineNumber));
    }
    const broken = previous ? linkBreak(previous, link) : null;
    if (broken) {
      pending = { line: lineNumber, link, previousLine: lastLine, cause: broken };
      continue;
    }
    seqLines.set(link.seq, lineNumber);
    first ??= link;
    previous = link;
    lastLine = lineNumber;
    chainLines += 1;
    if (line.type === 'record') records += 1;
  }

  if (pending) return failure(classify(pending, seqLines, laterSeqLines));
  if (!head) {
    return failure({ line: lineNumber + 1, problem: 'truncated', message: `the file ends after line ${lineNumber} without its signed chain head: it was truncated or the head deleted.` });
  }
  const broken = checkHead(head, headLine, { first, last: previous, lines: chainLines, records, lastLine }, pinnedKey);
  if (broken) return failure(broken);
  return { intact: true, lines: lineNumber, records, head, keyPinned: pinnedKey !== undefined };
}
