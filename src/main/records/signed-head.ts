// The head a station signs for its depot: exactly the chain-head line its own unfiltered export
// would end with if taken when the depot acknowledged record `seq` (docs/records.md, "The chain-head
// line"), so one verifier checks both, and a depot export can carry it as the station wrote it.
import { EXPORT_FORMAT, type ChainHeadFields, type ChainHeadLine } from '../../shared/records.ts';
import { canonicalJson } from './canonical-json.ts';
import { GENESIS_HASH, type ChainLink } from './chain.ts';
import type { StationIdentity } from './station-identity.ts';

/** Whether `head` is the head of an unfiltered export (the only kind a station pushes to its depot). */
export function isUnfilteredHead(head: ChainHeadLine): boolean {
  const { filter } = head;
  const whole = filter.batchId === null && filter.since === null && filter.until === null && filter.status === null;
  return whole && head.lines === head.headSeq && head.records === head.headSeq && head.firstPrevHash === GENESIS_HASH;
}

/** The members a station signs for the head of its unfiltered export at record `head`, taken at `exportedAt`. */
export function unfilteredHeadFields(
  key: { readonly fingerprint: string; readonly publicKey: string },
  head: Pick<ChainLink, 'seq' | 'hash'>,
  exportedAt: string,
  format: ChainHeadFields['format'] = EXPORT_FORMAT,
): ChainHeadFields {
  return {
    type: 'chain-head',
    format,
    exportedAt,
    filter: { batchId: null, since: null, until: null, status: null },
    lines: head.seq,
    records: head.seq,
    firstPrevHash: GENESIS_HASH,
    headSeq: head.seq,
    headHash: head.hash,
    stationFingerprint: key.fingerprint,
    stationPublicKey: key.publicKey,
  };
}

export function signUnfilteredHead(identity: Pick<StationIdentity, 'publicKey' | 'fingerprint' | 'sign'>, head: Pick<ChainLink, 'seq' | 'hash'>, at: Date): ChainHeadLine {
  const fields = unfilteredHeadFields(identity, head, at.toISOString());
  return { ...fields, signature: identity.sign(canonicalJson(fields)) };
}
