// The checks `records verify` makes once the whole file has been read: the signed chain head
// against the key, then the chain lines against what the head signs (where the export starts, its
// filter, its counts and its end). docs/records.md lists them in this order.
import { verify } from 'node:crypto';
import type { ChainHeadLine, RecordOutcome, VerifyProblem } from '../../shared/records.ts';
import { canonicalJson } from './canonical-json.ts';
import { GENESIS_HASH, type ChainLink } from './chain.ts';
import { fingerprintOf, publicKeyFromRaw } from './station-identity.ts';

export interface Break {
  readonly line: number;
  readonly problem: VerifyProblem;
  readonly message: string;
}

/** What the filter of an export decides on, for one record line. */
export interface RecordLineFacts {
  readonly line: number;
  readonly batchId: number;
  readonly outcome: RecordOutcome;
  readonly recordedAt: string;
}

/** The chain lines of a file, as the first pass found them (every line linked to the one before). */
export interface ChainLines {
  readonly first: ChainLink | null;
  readonly firstIsElided: boolean;
  readonly last: ChainLink | null;
  readonly lastLine: number;
  readonly lines: number;
  readonly records: readonly RecordLineFacts[];
  /** The first elided line, if any. */
  readonly firstElidedLine: number | null;
}

type Filter = ChainHeadLine['filter'];

function isUnfiltered(filter: Filter): boolean {
  return filter.batchId === null && filter.since === null && filter.until === null && filter.status === null;
}

/**
 * Why a record line could not be in an export with this filter, or null. Times are compared as text:
 * both are `Date.toISOString` forms (the schema insists), whose text order is time order.
 */
function outsideFilter(record: RecordLineFacts, filter: Filter): string | null {
  if (filter.batchId !== null && record.batchId !== filter.batchId) return `is a record of batch ${record.batchId}, but the export is of batch ${filter.batchId}`;
  if (filter.status !== null && record.outcome !== filter.status) return `is a ${record.outcome} record, but the export is of ${filter.status} records`;
  if (filter.since !== null && record.recordedAt < filter.since) return `was recorded at ${record.recordedAt}, before the export's since ${filter.since}`;
  if (filter.until !== null && record.recordedAt >= filter.until) return `was recorded at ${record.recordedAt}, not before the export's until ${filter.until}`;
  return null;
}

/** Whether the head is signed by the key it carries, and names that key's fingerprint. */
export function headSignatureValid(head: ChainHeadLine): boolean {
  const { signature, ...fields } = head;
  try {
    return (
      fingerprintOf(Buffer.from(head.stationPublicKey, 'base64')) === head.stationFingerprint &&
      verify(null, Buffer.from(canonicalJson(fields), 'utf8'), publicKeyFromRaw(head.stationPublicKey), Buffer.from(signature, 'base64'))
    );
  } catch {
    return false;
  }
}

function checkSignature(head: ChainHeadLine, headLine: number, pinnedKey: string | undefined): Break | null {
  const carried = Buffer.from(head.stationPublicKey, 'base64');
  if (pinnedKey !== undefined && pinnedKey !== head.stationPublicKey) {
    return {
      line: headLine,
      problem: 'untrusted-key',
      message:
        `the export carries station key ${head.stationPublicKey} (fingerprint ${fingerprintOf(carried)}), ` +
        `not the key passed with --station-key (fingerprint ${fingerprintOf(Buffer.from(pinnedKey, 'base64'))}).`,
    };
  }
  return headSignatureValid(head)
    ? null
    : { line: headLine, problem: 'signature', message: "the chain head's signature does not verify: the head line was edited, or it was not signed by the station key it names." };
}

/** Where the export starts, and whether each line is what its filter lets through. */
function checkScope(head: ChainHeadLine, headLine: number, chain: ChainLines): Break | null {
  const unfiltered = isUnfiltered(head.filter);
  if (chain.first === null) {
    if (head.lines !== 0 || head.records !== 0 || head.firstPrevHash !== head.headHash) {
      return { line: headLine, problem: 'deleted', message: `the signed head counts ${head.lines} chain lines but the file holds none: they were deleted.` };
    }
    return unfiltered && (head.headSeq !== 0 || head.headHash !== GENESIS_HASH)
      ? { line: headLine, problem: 'deleted', message: `an export without a filter holds every record, but this one holds none while its head is record ${head.headSeq}: they were deleted.` }
      : null;
  }
  if (chain.first.prevHash !== head.firstPrevHash) {
    return { line: 1, problem: 'deleted', message: 'the first line does not start where the signed head says the export starts: lines were deleted from the beginning, or line 1 was replaced.' };
  }
  if (unfiltered && (chain.first.seq !== 1 || chain.first.prevHash !== GENESIS_HASH)) {
    return {
      line: 1,
      problem: 'deleted',
      message: `an export without a filter starts at record 1 of the chain, but line 1 holds record ${chain.first.seq}: lines were deleted from the beginning.`,
    };
  }
  if (unfiltered && chain.firstElidedLine !== null) {
    return {
      line: chain.firstElidedLine,
      problem: 'edited',
      message: 'is an elided line, but an export without a filter holds every record in full: the record was elided after export.',
    };
  }
  if (!unfiltered && chain.firstIsElided) {
    return { line: 1, problem: 'edited', message: 'is an elided line, but a filtered export starts at the first record that matches its filter: the record was elided after export.' };
  }
  for (const record of chain.records) {
    const outside = outsideFilter(record, head.filter);
    if (outside !== null) return { line: record.line, problem: 'edited', message: `${outside}: the station would have elided it.` };
  }
  return null;
}

function checkCounts(head: ChainHeadLine, headLine: number, chain: ChainLines & { last: ChainLink }): Break | null {
  if (chain.lines !== head.lines) {
    const problem = chain.lines < head.lines ? 'deleted' : 'inserted';
    return { line: headLine, problem, message: `the signed head counts ${head.lines} chain lines but the file has ${chain.lines}: lines were ${problem}.` };
  }
  if (chain.last.hash !== head.headHash || chain.last.seq !== head.headSeq) {
    return {
      line: chain.lastLine,
      problem: 'edited',
      message: `the last chain line does not match the signed head (record ${head.headSeq}, hash ${head.headHash}): it was edited, or lines after it were deleted.`,
    };
  }
  if (chain.records.length !== head.records) {
    return {
      line: headLine,
      problem: 'edited',
      message: `the signed head counts ${head.records} full records but the file has ${chain.records.length}: records were elided or restored after signing.`,
    };
  }
  return null;
}

/** The checks after reading: key and signature, then where the export starts, its filter, its counts and its end. */
export function checkHead(head: ChainHeadLine, headLine: number, chain: ChainLines, pinnedKey: string | undefined): Break | null {
  const found = checkSignature(head, headLine, pinnedKey) ?? checkScope(head, headLine, chain);
  if (found !== null || chain.last === null) return found;
  return checkCounts(head, headLine, { ...chain, last: chain.last });
}
