// What a forger holding a station's signing key can write: a JSON Lines export rebuilt from record
// bodies, the chain recomputed and the head re-signed. With the genuine bodies it writes the
// station's bytes, so it is also the docs' "redo the checks without Lockstep" made concrete. The
// strict verify tests and the conformance set (tests/fixtures/records-conformance) use it.
import { canonicalJson } from '../../../src/main/records/canonical-json.ts';
import { chainHash, GENESIS_HASH } from '../../../src/main/records/chain.ts';
import { elidedLineText, recordLineText } from '../../../src/main/records/export-line.ts';
import { EXPORT_FORMAT, type ChainHeadFields } from '../../../src/shared/records.ts';

export type RecordBody = Record<string, unknown> & { readonly seq: number; readonly outcome: string };

/** The station key as a forger holds it. */
export interface SigningKey {
  readonly publicKey: string;
  readonly fingerprint: string;
  readonly sign: (message: string) => string;
}

export interface ForgeOptions {
  readonly exportedAt: string;
  /** The first seq written (the chain before it is still hashed). */
  readonly from?: number;
  /** Seqs written as elided lines. */
  readonly elide?: ReadonlySet<number>;
  readonly filter?: Partial<ChainHeadFields['filter']>;
  /** Head members to sign instead of the ones the lines give. */
  readonly head?: Partial<ChainHeadFields>;
}

/** Every line of an export, each ending with its line feed. */
export function forgeExport(records: readonly RecordBody[], key: SigningKey, options: ForgeOptions): string {
  let prevHash = GENESIS_HASH;
  const lines: string[] = [];
  let firstPrevHash: string | null = null;
  let recordLines = 0;
  for (const body of records) {
    const link = { seq: body.seq, prevHash, hash: chainHash(prevHash, canonicalJson(body)) };
    prevHash = link.hash;
    if (body.seq < (options.from ?? 1)) continue;
    firstPrevHash ??= link.prevHash;
    const elided = options.elide?.has(body.seq) ?? false;
    if (!elided) recordLines += 1;
    lines.push(elided ? elidedLineText(link) : recordLineText(link, canonicalJson(body)));
  }
  const fields = {
    type: 'chain-head',
    format: EXPORT_FORMAT,
    exportedAt: options.exportedAt,
    filter: { batchId: null, since: null, until: null, status: null, ...options.filter },
    lines: lines.length,
    records: recordLines,
    firstPrevHash: firstPrevHash ?? prevHash,
    headSeq: records.at(-1)?.seq ?? 0,
    headHash: prevHash,
    stationFingerprint: key.fingerprint,
    stationPublicKey: key.publicKey,
    ...options.head,
  };
  lines.push(canonicalJson({ ...fields, signature: key.sign(canonicalJson(fields)) }));
  return lines.map((line) => `${line}\n`).join('');
}

/** The record bodies of an export's record lines, in order. */
export function recordBodies(exportText: string): RecordBody[] {
  return exportText
    .trimEnd()
    .split('\n')
    .flatMap((line) => {
      const { record } = JSON.parse(line) as { record?: RecordBody };
      return record ? [record] : [];
    });
}

/** `bodies` with the one of `seq` replaced by what `change` makes of a copy of it. */
export function withBody(bodies: readonly RecordBody[], seq: number, change: (body: Record<string, unknown> & RecordBody) => RecordBody): RecordBody[] {
  return bodies.map((body) => (body.seq === seq ? change({ ...body }) : body));
}
