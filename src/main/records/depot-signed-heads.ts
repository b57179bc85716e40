// A depot export holds no station signature; each station's own export does. Given both, verified,
// this shows which station signed which section: the station export's key fingerprint names its
// section, and every record both files hold must have the same hash. Since each hash covers the
// whole chain before it, agreement at a record proves the depot's chain up to it is the one the
// station signed (docs/records.md, "The depot export").
import type { DepotVerifyOutcome } from '../../shared/depot-export.ts';
import type { VerifyProblem } from '../../shared/records.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import { readLines } from './line-reader.ts';
import { MAX_LINE_BYTES, verifyJsonlExport } from './verify-export.ts';

export interface SignedHeadCheck {
  readonly file: string;
  readonly station: string;
  readonly keyFingerprint: string;
  readonly publicKey: string;
  /** The head the station signed in its export, and the last record the depot held of it. */
  readonly signedHeadSeq: number;
  readonly depotHeadSeq: number;
  /** The last record both files hold (with the same hash, or the check fails); 0 when they share none. */
  readonly agreedUpTo: number;
}

export type SignedHeadsOutcome =
  | { readonly intact: true; readonly checks: readonly SignedHeadCheck[] }
  | { readonly intact: false; readonly problem: VerifyProblem; readonly message: string };

type Links = Map<number, string>;

/** seq → hash of the chain lines of one file: a station's export, or one station's section of a depot export (already verified). */
async function chainHashes(path: string, station: string | null): Promise<Links> {
  let section: Links = new Map();
  for await (const read of readLines(path, MAX_LINE_BYTES)) {
    if (!('text' in read)) continue;
    const line = JSON.parse(read.text) as { type: string; seq?: number; hash?: string; station?: string };
    if ((line.type === 'record' || line.type === 'elided') && line.seq !== undefined && line.hash !== undefined) section.set(line.seq, line.hash);
    else if (line.type === 'station-head') {
      if (line.station === station) return section;
      section = new Map();
    }
  }
  return section;
}

/** Checks each station's own export against the depot export `depotPath`, which `depot` says is intact. */
export async function checkSignedHeads(depotPath: string, depot: Extract<DepotVerifyOutcome, { intact: true }>, stationExports: readonly string[]): Promise<SignedHeadsOutcome> {
  const checks: SignedHeadCheck[] = [];
  for (const file of stationExports) {
    const shown = displaySafe(file);
    const own = await verifyJsonlExport(file);
    if (!own.intact) return { intact: false, problem: own.problem, message: `the station export ${shown} is not intact: ${own.message}` };
    const section = depot.stations.find((station) => station.keyFingerprint === own.head.stationFingerprint);
    if (!section) {
      return { intact: false, problem: 'untrusted-key', message: `the station export ${shown} is signed by the key ${own.head.stationFingerprint}, which is no station's in the depot export.` };
    }
    const held = await chainHashes(depotPath, section.station);
    const signed = await chainHashes(file, null);
    let agreedUpTo = 0;
    for (const [seq, hash] of signed) {
      const depotHash = held.get(seq);
      if (depotHash === undefined) continue;
      if (depotHash !== hash) {
        return { intact: false, problem: 'edited', message: `station ${section.station}: record ${seq} in the depot export is not the one the station signed in ${shown} (hash ${depotHash}, signed ${hash}).` };
      }
      agreedUpTo = Math.max(agreedUpTo, seq);
    }
    checks.push({
      file,
      station: section.station,
      keyFingerprint: section.keyFingerprint,
      publicKey: own.head.stationPublicKey,
      signedHeadSeq: own.head.headSeq,
      depotHeadSeq: section.headSeq,
      agreedUpTo,
    });
  }
  return { intact: true, checks };
}
