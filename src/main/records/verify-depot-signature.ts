// A station's signature over its section of a depot export (format 2, docs/records.md "The depot
// export"): the key the section carries must be the one the station was registered with, its signed
// head must verify under that key and be the head of the station's unfiltered export, and the
// section's record at that seq must have the hash the station signed. Since each hash covers the
// whole chain before it, the section up to there is then the chain the station signed; whoever can
// write the depot's tables but holds no station key cannot rebuild it.
import type { SectionSignature, StationHeadLine } from '../../shared/depot-export.ts';
import { isUnfilteredHead } from './signed-head.ts';
import { fingerprintOf } from './station-identity.ts';
import { headSignatureValid, type Break } from './verify-chain-head.ts';

/** What the signature check needs of a section: each chain line's hash and each record line's seq. */
export interface SignedSectionFacts {
  readonly firstSeq: number | null;
  readonly firstPrevHash: string;
  readonly hashes: ReadonlyMap<number, string>;
  readonly recordSeqs: readonly number[];
}

export function checkSectionSignature(head: StationHeadLine, headLine: number, section: SignedSectionFacts): Break | SectionSignature {
  const at = (problem: Break['problem'], message: string): Break => ({ line: headLine, problem, message: `station ${head.station}: ${message}` });
  const publicKey = head.publicKey ?? null;
  const signed = head.signedHead ?? null;
  if (publicKey === null || signed === null) {
    if (publicKey !== signed) return at('edited', 'its head line carries a public key without a signed head, or a signed head without a key.');
    return { station: head.station, publicKey: null, signedHeadSeq: 0, signedAt: null, unsignedRecords: section.recordSeqs.length };
  }
  const keyFingerprint = fingerprintOf(Buffer.from(publicKey, 'base64'));
  if (keyFingerprint !== head.keyFingerprint) {
    return at('untrusted-key', `the public key ${publicKey} (fingerprint ${keyFingerprint}) is not the key the station is registered with (${head.keyFingerprint}).`);
  }
  if (signed.stationPublicKey !== publicKey || signed.stationFingerprint !== head.keyFingerprint) {
    return at('untrusted-key', `its signed head names the key ${signed.stationFingerprint}, not the station's registered key ${head.keyFingerprint}.`);
  }
  if (!headSignatureValid(signed)) return at('signature', "its signed head's signature does not verify under the station's key: the head was edited, or the station did not sign it.");
  if (!isUnfilteredHead(signed)) return at('edited', 'its signed head is not the head of an unfiltered export, which is what a station signs for its depot.');
  if (signed.headSeq > head.headSeq) return at('deleted', `the station signed record ${signed.headSeq}, but the section ends at record ${head.headSeq}: records were deleted.`);
  const held = signed.headSeq === (section.firstSeq ?? head.headSeq + 1) - 1 ? section.firstPrevHash : section.hashes.get(signed.headSeq);
  if (held !== undefined && held !== signed.headHash) {
    return at('edited', `record ${signed.headSeq} in the section (hash ${held}) is not the one the station signed (hash ${signed.headHash}): the chain was rebuilt.`);
  }
  // A signed head before the section's first line (a time range starting after it) proves none of the section.
  const covers = held !== undefined ? signed.headSeq : 0;
  return {
    station: head.station,
    publicKey,
    signedHeadSeq: covers,
    signedAt: signed.exportedAt,
    unsignedRecords: section.recordSeqs.filter((seq) => seq > covers).length,
  };
}
