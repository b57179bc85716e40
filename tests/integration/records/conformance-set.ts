// Writes the conformance set of docs/records.md (tests/fixtures/records-conformance): genuine exports
// of a station with two batches, and tampered copies, each with the verdict `records verify` must
// give, one or more per check of the docs' table. Tampered copies that must survive the signature are
// rebuilt and re-signed with the station's own key (forger.ts). The files are committed; run
// `node tests/integration/records/conformance-set.ts` to write a new set (new keys, new times), and
// conformance.test.ts checks whichever set is committed.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChainHeadLine, RecordFilter, VerifyProblem } from '../../../src/shared/records.ts';
import { createStationFixture, imei, recordFor, TECHNICIAN, BUNDLE_HASH } from './fixture.ts';
import { forgeExport, recordBodies, withBody, type ForgeOptions, type RecordBody } from './forger.ts';

export const CONFORMANCE_DIR = join(import.meta.dirname, '../../fixtures/records-conformance');
const OLDER_FIXTURES = join(import.meta.dirname, '../../fixtures');

/** One file and the verdict it must get; `stationKey` pins it (null: unpinned). */
export interface ConformanceCase {
  readonly file: string;
  readonly about: string;
  readonly stationKey: string | null;
  readonly verdict: { readonly intact: true } | { readonly intact: false; readonly problem: VerifyProblem; readonly line: number };
}

const MINUTE = 60_000;

export async function writeConformanceSet(dir: string = CONFORMANCE_DIR): Promise<ConformanceCase[]> {
  let clock = Math.floor(Date.now() / MINUTE) * MINUTE;
  const start = clock;
  const station = createStationFixture({ now: () => new Date(clock) });
  const other = createStationFixture();
  try {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const { records } = station;
    const batchB = records.startBatch({ name: 'Depot 9 / returns', product: 'lockstep-ref', bundleHash: BUNDLE_HASH, bundleVersion: 'LSR-14.2.0', operatorId: TECHNICIAN.id });
    const inBatchB = (serial: string): void => {
      const device = records.registerDevice({ batchId: batchB.id, serial, identity: { product: 'lockstep-ref', 'hw-revision': 'B2', unlocked: 'yes' } });
      records.commitProvisioningRecord(recordFor(device.id));
    };
    // seq 1 A provisioned, 2 A failed, 3 B failed, 4 A provisioned, 5 B failed, 6 A provisioned; ten minutes apart.
    const steps = [
      () => station.provision({ serial: 'LS7A5001', imei: imei(1) }),
      () => station.provision({ serial: 'LS7A5002', imei: imei(2), fail: { step: 'checks', reason: 'AT+XCAPS? reported CAMERA=PRESENT' } }),
      () => inBatchB('LS7B6001'),
      () => station.provision({ serial: 'LS7A5003', imei: imei(3) }),
      () => inBatchB('LS7B6002'),
      () => station.provision({ serial: 'LS7A5004', imei: imei(4) }),
    ];
    for (const step of steps) {
      step();
      clock += 10 * MINUTE;
    }
    const at = (minutes: number): string => new Date(start + minutes * MINUTE).toISOString();
    const key = records.identity.publicKey;
    const cases: ConformanceCase[] = [];
    const write = (file: string, text: string | Buffer): void => writeFileSync(join(dir, file), text);
    const intact = (file: string, about: string, stationKey: string | null = key): void => {
      cases.push({ file, about, stationKey, verdict: { intact: true } });
    };
    const broken = (file: string, text: string | Buffer, problem: VerifyProblem, line: number, about: string, stationKey: string | null = key): void => {
      if (text === whole) throw new Error(`${file} is not tampered: its change did not apply`);
      write(file, text);
      cases.push({ file, about, stationKey, verdict: { intact: false, problem, line } });
    };
    const exported = async (file: string, filter: RecordFilter, about: string): Promise<string> => {
      await records.export('jsonl', filter, join(dir, file));
      intact(file, about);
      return readFileSync(join(dir, file), 'utf8');
    };

    const whole = await exported('genuine-whole.jsonl', {}, 'unfiltered: six record lines and the head');
    intact('genuine-whole.jsonl', 'the same, unpinned: the key named in the file is used', null);
    await exported('genuine-batch.jsonl', { batchId: batchB.id }, 'batch 2: records 3 and 5 in full, 4 and 6 elided');
    await exported('genuine-failed.jsonl', { status: 'failed' }, 'failed records: 2, 3 and 5 in full, 4 and 6 elided');
    await exported('genuine-time-range.jsonl', { since: at(15), until: at(45) }, 'since (inclusive) and until (exclusive): records 3 to 5, 6 elided');
    await exported('genuine-nothing-matches.jsonl', { since: at(24 * 60) }, 'a filter nothing matches: no chain lines, firstPrevHash = headHash');
    for (const format of [1, 2, 3] as const) {
      const text = readFileSync(join(OLDER_FIXTURES, `records-format-${format}.jsonl`), 'utf8');
      write(`genuine-format-${format}.jsonl`, text);
      intact(`genuine-format-${format}.jsonl`, `lockstep-records/${format}, written by a station of that version`, (JSON.parse(text.trimEnd().split('\n').at(-1) ?? '') as ChainHeadLine).stationPublicKey);
    }

    const lines = whole.trimEnd().split('\n');
    const head = JSON.parse(lines.at(-1) ?? '') as ChainHeadLine;
    const bodies = recordBodies(whole);
    const joined = (variant: readonly string[]): string => variant.map((line) => `${line}\n`).join('');
    const replaced = (index: number, line: string): string => joined(lines.map((text, at) => (at === index ? line : text)));
    const forge = (from: readonly RecordBody[], options: Omit<ForgeOptions, 'exportedAt'> = {}): string =>
      forgeExport(from, records.identity, { exportedAt: head.exportedAt, ...options });
    const change = (seq: number, edit: (body: Record<string, unknown> & RecordBody) => RecordBody): string => forge(withBody(bodies, seq, edit));

    // Check 1: bytes.
    const line2 = Buffer.from(lines[1] ?? '');
    const serialAt = line2.indexOf('LS7A5002');
    broken('invalid-utf8.jsonl', Buffer.concat([Buffer.from(`${lines[0]}\n`), line2.subarray(0, serialAt), Buffer.from([0xc3, 0x28]), line2.subarray(serialAt + 2), Buffer.from(`\n${joined(lines.slice(2))}`)]), 'malformed', 2, 'line 2 holds the bytes C3 28, not UTF-8');
    // Check 2: after the head.
    broken('empty-line-after-head.jsonl', `${whole}\n`, 'inserted', 8, 'a second final newline: an empty line 8');
    broken('line-after-head.jsonl', whole + joined([lines[0] ?? '']), 'inserted', 8, 'line 1 copied after the head');
    // Check 3: byte-order marks.
    broken('bom-file.jsonl', `\uFEFF${whole}`, 'edited', 1, 'the file re-saved "with BOM"');
    broken('bom-line-4.jsonl', replaced(3, `\uFEFF${lines[3]}`), 'edited', 4, 'a byte-order mark before line 4');
    // Check 4: JSON.
    broken('not-json.jsonl', replaced(2, (lines[2] ?? '').slice(0, 300)), 'malformed', 3, 'line 3 cut short');
    // Check 5: schemas, each rebuilt and re-signed so that nothing else breaks.
    broken('unknown-line-type.jsonl', replaced(1, (lines[1] ?? '').replace('{"type":"record"', '{"type":"comment"')), 'malformed', 2, 'a line type that does not exist');
    broken('unknown-member.jsonl', change(2, (body) => ({ ...body, note: 'added' })), 'malformed', 2, 'record 2 gains a member, re-signed');
    broken('provisioned-with-failed-step.jsonl', change(1, (body) => ({ ...body, failedStep: 'checks' })), 'malformed', 1, 'a provisioned record naming a failed step, re-signed');
    broken('failed-without-reason.jsonl', change(2, (body) => ({ ...body, failureReason: null })), 'malformed', 2, 'a failed record without its reason, re-signed');
    broken('failed-without-code.jsonl', change(3, (body) => ({ ...body, failureCode: null })), 'malformed', 3, 'a format 4 failed record without its code, re-signed');
    broken(
      'evidence-without-slot.jsonl',
      change(4, (body) => {
        const evidence: Record<string, unknown> = { ...(body.evidence as object) };
        delete evidence.slot;
        return { ...body, evidence };
      }),
      'malformed',
      4,
      'evidence without its required slot, re-signed',
    );
    broken('recorded-at-in-seconds.jsonl', change(3, (body) => ({ ...body, recordedAt: String(body.recordedAt).replace('.000Z', 'Z') })), 'malformed', 3, 'recordedAt without its milliseconds, re-signed');
    const sameBytes = (base64: string, padding: string): string => {
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
      const at = base64.length - padding.length - 1;
      return `${base64.slice(0, at)}${alphabet[alphabet.indexOf(base64[at] ?? '') + 1] ?? ''}${padding}`;
    };
    broken('signature-not-canonical-base64.jsonl', replaced(6, (lines[6] ?? '').replace(head.signature, sameBytes(head.signature, '=='))), 'malformed', 7, 'the signature in other base64 text for the same bytes');
    broken('key-not-canonical-base64.jsonl', replaced(6, (lines[6] ?? '').replace(head.stationPublicKey, sameBytes(head.stationPublicKey, '='))), 'malformed', 7, 'the key in other base64 text for the same bytes (unpinned)', null);
    // Check 6: bytes as written.
    broken('edited-record.jsonl', replaced(3, (lines[3] ?? '').replace(/"imei":"\d+"/, '"imei":"352099001769999"')), 'edited', 4, "record 4's IMEI changed, its hash not");
    broken('duplicate-key.jsonl', replaced(1, (lines[1] ?? '').replace('"record":{', '"record":{"serial":"FORGED",')), 'edited', 2, 'a forged first serial; JSON.parse keeps the genuine last one');
    broken('spacing.jsonl', replaced(4, (lines[4] ?? '').replace('"seq":', '"seq": ')), 'edited', 5, 'a space added');
    broken('escaped-character.jsonl', replaced(0, (lines[0] ?? '').replace('"outcome":"p', '"outcome":"\\u0070')), 'edited', 1, 'a character written as an escape');
    broken('crlf.jsonl', whole.replaceAll('\n', '\r\n'), 'edited', 1, 'CR LF line ends');
    const { type, ...rest } = head;
    broken('head-type-first.jsonl', joined([...lines.slice(0, -1), JSON.stringify({ type, ...rest })]), 'edited', 7, 'the head with type first, as the docs once showed it');
    // Check 7: links.
    broken('deleted-line-3.jsonl', joined(lines.filter((_, index) => index !== 2)), 'deleted', 3, 'record 3 deleted');
    broken('swapped-lines-3-4.jsonl', joined([...lines.slice(0, 2), lines[3] ?? '', lines[2] ?? '', ...lines.slice(4)]), 'reordered', 3, 'records 3 and 4 swapped');
    broken('copied-line-2.jsonl', joined([...lines.slice(0, 2), lines[1] ?? '', ...lines.slice(2)]), 'inserted', 3, 'line 2 copied after itself');
    const forgedRecord = forge(withBody(bodies, 3, (body) => ({ ...body, serial: 'LS7A-FORGED' })), {}).split('\n')[2] ?? '';
    broken('forged-line-inserted.jsonl', joined([...lines.slice(0, 2), forgedRecord, ...lines.slice(2)]), 'inserted', 4, 'a forged copy of record 3 with a correct hash, inserted before the genuine one');
    // Checks 8 and 9: the end of the file.
    broken('head-removed.jsonl', joined(lines.slice(0, -1)), 'truncated', 7, 'no chain-head line');
    broken('no-final-newline.jsonl', whole.slice(0, -1), 'truncated', 7, 'the head without its line feed');
    // Checks 10 and 11: key and signature.
    const otherKey = other.records.identity;
    const resignedByOther = forgeExport(bodies, otherKey, { exportedAt: head.exportedAt });
    broken('other-station-key.jsonl', resignedByOther, 'untrusted-key', 7, 'rebuilt and signed by another station, pinned to this one');
    intact('other-station-key.jsonl', 'the same, unpinned: intact, which is why an auditor pins the key', null);
    broken('head-edited.jsonl', replaced(6, (lines[6] ?? '').replace('"records":6', '"records":5')), 'signature', 7, 'the head edited without re-signing');
    broken('fingerprint-replaced.jsonl', replaced(6, (lines[6] ?? '').replace(head.stationFingerprint, otherKey.fingerprint)), 'signature', 7, "another station's fingerprint in the head");
    // Check 12: where the export starts and what its filter lets through, each re-signed.
    broken('unfiltered-empty-not-genesis.jsonl', forge(bodies, { from: 7 }), 'deleted', 1, 'unfiltered, no chain lines, head at record 6');
    broken('first-line-deleted.jsonl', joined(lines.slice(1)), 'deleted', 1, 'line 1 deleted, head not re-signed');
    broken('prefix-removed-resigned.jsonl', forge(bodies, { from: 3 }), 'deleted', 1, 'unfiltered, records 1 and 2 removed, re-signed to start at 3');
    broken('elided-in-unfiltered.jsonl', forge(bodies, { elide: new Set([3]) }), 'edited', 3, 'unfiltered with record 3 elided, re-signed');
    const batchFilter = { batchId: batchB.id };
    broken('filtered-starts-elided.jsonl', forge(bodies, { from: 2, elide: new Set([2, 4, 6]), filter: batchFilter }), 'edited', 1, 'a batch export starting with an elided line, re-signed');
    broken('outside-batch-filter.jsonl', forge(bodies, { from: 3, elide: new Set([6]), filter: batchFilter }), 'edited', 2, 'a batch export holding record 4 of another batch in full, re-signed');
    broken('outside-time-range.jsonl', forge(bodies, { from: 3, filter: { since: at(15), until: at(45) } }), 'edited', 4, 'record 6, recorded after until, in full, re-signed');
    broken('outside-status-filter.jsonl', forge(bodies, { from: 2, elide: new Set([6]), filter: { status: 'failed' } }), 'edited', 3, 'a provisioned record in a failed-only export, re-signed');
    // Check 13: counts and end.
    broken('last-line-deleted.jsonl', joined(lines.filter((_, index) => index !== 5)), 'deleted', 6, 'the last record line deleted, head not re-signed');
    broken('lines-count-low-resigned.jsonl', forge(bodies, { head: { lines: 5 } }), 'inserted', 7, 'the head re-signed counting 5 chain lines of 6');
    broken('tail-removed-resigned.jsonl', forge(bodies.slice(0, 4), { head: { headSeq: head.headSeq, headHash: head.headHash } }), 'edited', 4, 'records 5 and 6 removed, re-signed with the real chain head');
    broken('records-count-resigned.jsonl', forge(bodies, { head: { records: 5 } }), 'edited', 7, 'the head re-signed counting 5 records of 6');

    writeFileSync(join(dir, 'station-key.txt'), `${key}\n`);
    writeFileSync(join(dir, 'station.pub.pem'), records.identity.publicKeyPem);
    writeFileSync(join(dir, 'expected.json'), `${JSON.stringify(cases, null, 2)}\n`);
    const listed = new Set(cases.map(({ file }) => file));
    const unlisted = readdirSync(dir).filter((file) => file.endsWith('.jsonl') && !listed.has(file));
    if (unlisted.length > 0) throw new Error(`files without a verdict: ${unlisted.join(', ')}`);
    return cases;
  } finally {
    station.cleanup();
    other.cleanup();
  }
}

if (import.meta.main) {
  const cases = await writeConformanceSet();
  process.stdout.write(`wrote ${cases.length} verdicts to ${CONFORMANCE_DIR}\n`);
}
