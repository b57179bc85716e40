// The hash chain over provisioning records. Each record's hash covers its content and the hash of
// the record before it, so editing, removing, inserting or reordering a record changes every hash
// after it; the signed head of an export then fixes the whole chain.
import { createHash } from 'node:crypto';

/** The `prevHash` of the first record a station ever commits. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * SHA-256 (lower-case hex) of the canonical JSON of `{ prevHash, record }`. `canonicalBody` must
 * already be the canonical JSON of the record; since "prevHash" sorts before "record" and a hex
 * digest needs no escaping, the string built here is exactly canonicalJson({ prevHash, record }).
 */
export function chainHash(prevHash: string, canonicalBody: string): string {
  return createHash('sha256').update(`{"prevHash":"${prevHash}","record":${canonicalBody}}`, 'utf8').digest('hex');
}

export interface ChainLink {
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
}

/** How a link fails to follow the one before it. */
export type LinkBreak =
  | { readonly kind: 'gap'; readonly expectedSeq: number }
  | { readonly kind: 'backwards'; readonly expectedSeq: number }
  | { readonly kind: 'unlinked'; readonly expectedSeq: number };

/** Whether `link` follows `previous` in the chain: the next sequence number, pointing at its hash. */
export function linkBreak(previous: ChainLink, link: ChainLink): LinkBreak | null {
  const expectedSeq = previous.seq + 1;
  if (link.seq > expectedSeq) return { kind: 'gap', expectedSeq };
  if (link.seq < expectedSeq) return { kind: 'backwards', expectedSeq };
  if (link.prevHash !== previous.hash) return { kind: 'unlinked', expectedSeq };
  return null;
}
