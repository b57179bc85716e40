// The rules docs/records.md states beyond the hash chain, each applied by `records verify` (issue #24:
// an auditor's verifier written from the docs alone disagreed on these six). Most tampered files here
// are rebuilt and re-signed with the station's own key, the strongest forger there is: the chain and
// the signature hold, so only the rule under test can catch them.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyJsonlExport } from '../../../src/main/records/verify-export.ts';
import type { ChainHeadLine, VerifyOutcome, VerifyProblem } from '../../../src/shared/records.ts';
import { runCli } from '../../lockstep-cli.ts';
import { createStationFixture, imei, type StationFixture } from './fixture.ts';
import { forgeExport, recordBodies, withBody as changeBody, type ForgeOptions, type RecordBody } from './forger.ts';

describe('records verify, the rules beyond the chain', () => {
  let station: StationFixture;
  let whole: string;
  let headOfWhole: ChainHeadLine;
  let bodies: RecordBody[];
  let counter = 0;

  function write(text: string | Buffer): string {
    counter += 1;
    const path = join(station.dir, `strict-${counter}.jsonl`);
    writeFileSync(path, text);
    return path;
  }

  async function verifyText(text: string | Buffer): Promise<VerifyOutcome> {
    return verifyJsonlExport(write(text), station.records.identity.publicKey);
  }

  function expectBroken(outcome: VerifyOutcome, line: number, problem: VerifyProblem, says: RegExp): void {
    expect(outcome.intact).toBe(false);
    if (outcome.intact) return;
    expect({ line: outcome.line, problem: outcome.problem }, outcome.message).toEqual({ line, problem });
    expect(outcome.message).toMatch(says);
  }

  const forge = (records: readonly RecordBody[], options: Omit<ForgeOptions, 'exportedAt'> = {}): string =>
    forgeExport(records, station.records.identity, { exportedAt: headOfWhole.exportedAt, ...options });

  const withBody = (seq: number, change: (body: RecordBody) => RecordBody): RecordBody[] => changeBody(bodies, seq, change);
  const failedSeqs = (): number[] => bodies.filter((body) => body.outcome === 'failed').map((body) => body.seq);

  beforeAll(async () => {
    station = createStationFixture();
    for (let n = 0; n < 6; n += 1) {
      station.provision({ serial: `LS7A${3000 + n}`, imei: imei(n), ...(n === 1 || n === 4 ? { fail: { step: 'checks', reason: 'AT+XCAPS? reported CAMERA=PRESENT' } } : {}) });
    }
    const file = join(station.dir, 'whole.jsonl');
    await station.records.export('jsonl', {}, file);
    whole = readFileSync(file, 'utf8');
    headOfWhole = JSON.parse(whole.trimEnd().split('\n').at(-1) ?? '') as ChainHeadLine;
    bodies = recordBodies(whole);
  });
  afterAll(() => station.cleanup());

  it('forges byte for byte what the station writes from the genuine records, which verifies', async () => {
    expect(forge(bodies)).toBe(whole);
    expect(await verifyText(whole)).toMatchObject({ intact: true, lines: 7, records: 6, keyPinned: true });
  });

  describe('the final line feed: every line ends with one, and nothing follows the head', () => {
    it('refuses a file whose head has lost its line feed as truncated, naming the head line', async () => {
      expectBroken(await verifyText(whole.slice(0, -1)), 7, 'truncated', /ends without the line feed/);
    });

    it('refuses an empty line after the head as inserted', async () => {
      expectBroken(await verifyText(`${whole}\n`), 8, 'inserted', /follows the signed chain head \(line 7\)/);
    });

    it('refuses CRLF line ends as an edit of line 1', async () => {
      expectBroken(await verifyText(whole.replaceAll('\n', '\r\n')), 1, 'edited', /not byte for byte/);
    });
  });

  describe('canonical base64: the text must be the one re-encoding the bytes gives', () => {
    /** The same bytes, other text: the next character differs only in the bits the padding drops. */
    const sameBytesOtherText = (base64: string, padding: string): string => {
      const at = base64.length - padding.length - 1;
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
      const other = `${base64.slice(0, at)}${alphabet[alphabet.indexOf(base64[at] ?? '') + 1] ?? ''}${padding}`;
      expect(Buffer.from(other, 'base64')).toEqual(Buffer.from(base64, 'base64'));
      expect(other).not.toBe(base64);
      return other;
    };

    it('refuses a signature whose text differs only in the bits the padding ignores', async () => {
      const other = sameBytesOtherText(headOfWhole.signature, '==');
      expectBroken(await verifyText(whole.replace(headOfWhole.signature, other)), 7, 'malformed', /signature: an Ed25519 signature: the canonical base64 of 64 bytes/);
    });

    it('refuses a station key written the same way, although its bytes, fingerprint and signature still match', async () => {
      const other = sameBytesOtherText(headOfWhole.stationPublicKey, '=');
      const outcome = await verifyJsonlExport(write(whole.replace(headOfWhole.stationPublicKey, other)));
      expectBroken(outcome, 7, 'malformed', /stationPublicKey: an Ed25519 public key: the canonical base64 of 32 bytes/);
    });
  });

  describe('the failure fields are set exactly when the outcome is failed', () => {
    it('refuses a provisioned record that names a failed step, even rehashed and re-signed', async () => {
      const forged = forge(withBody(3, (body) => ({ ...body, failedStep: 'checks' })));
      expectBroken(await verifyText(forged), 3, 'malformed', /record\.failedStep: is set on a provisioned record/);
    });

    it('refuses a failed record without its failure code, and a format 1 provisioned record with a reason', async () => {
      const [failed] = failedSeqs();
      expectBroken(await verifyText(forge(withBody(failed ?? 0, (body) => ({ ...body, failureCode: null })))), failed ?? 0, 'malformed', /record\.failureCode: is null on a failed record/);
      const format1 = withBody(1, (body) => {
        for (const member of ['recordVersion', 'assetTag', 'evidence', 'failureCode', 'fusesFoundSet']) delete body[member];
        // Format 1 names the serial `deviceSerial`.
        const { serial, ...rest } = body;
        return { ...rest, deviceSerial: serial, failureReason: 'looked fine' };
      });
      expectBroken(await verifyText(forge(format1)), 1, 'malformed', /record\.failureReason: is set on a provisioned record/);
    });
  });

  describe('an unfiltered export holds the whole chain in full', () => {
    it('refuses one with an elided line, re-signed with the counts of what it holds', async () => {
      expectBroken(await verifyText(forge(bodies, { elide: new Set([4]) })), 4, 'edited', /an export without a filter holds every record in full/);
    });

    it('refuses one whose first records were removed, re-signed to start where it now starts', async () => {
      expectBroken(await verifyText(forge(bodies, { from: 4 })), 1, 'deleted', /starts at record 1 of the chain, but line 1 holds record 4/);
    });

    it('refuses an empty one whose head is not the genesis', async () => {
      const empty = forge(bodies, { from: bodies.length + 1 });
      expectBroken(await verifyText(empty), 1, 'deleted', /holds none while its head is record 6/);
    });
  });

  describe('a filtered export holds only what its filter lets through', () => {
    let filtered: string;
    beforeAll(async () => {
      const file = join(station.dir, 'failed.jsonl');
      await station.records.export('jsonl', { status: 'failed' }, file);
      filtered = readFileSync(file, 'utf8');
    });

    it('verifies as the station wrote it, and the forger reproduces it', async () => {
      const [first] = failedSeqs();
      const elide = new Set(bodies.filter((body) => body.outcome !== 'failed').map((body) => body.seq));
      const chainLines = (text: string): string[] => text.split('\n').slice(0, -2);
      expect(chainLines(forge(bodies, { from: first, elide, filter: { status: 'failed' } }))).toEqual(chainLines(filtered));
      expect(await verifyText(filtered)).toMatchObject({ intact: true, records: 2 });
    });

    it('refuses a record line outside the filter, re-signed with the counts of what it holds', async () => {
      const [first, second] = failedSeqs();
      const elide = new Set(bodies.filter((body) => body.outcome !== 'failed' && body.seq !== 3).map((body) => body.seq));
      const forged = forge(bodies, { from: first, elide, filter: { status: 'failed' } });
      expect(second).toBeGreaterThan(3);
      expectBroken(await verifyText(forged), 3 - (first ?? 0) + 1, 'edited', /is a provisioned record, but the export is of failed records: the station would have elided it/);
    });

    it('refuses one that starts with an elided line', async () => {
      const elide = new Set(bodies.filter((body) => body.outcome !== 'failed').map((body) => body.seq));
      expectBroken(await verifyText(forge(bodies, { from: 1, elide, filter: { status: 'failed' } })), 1, 'edited', /starts at the first record that matches its filter/);
    });

    it('refuses a record of another batch, or recorded outside the time range', async () => {
      expectBroken(await verifyText(forge(bodies, { filter: { batchId: station.batchId + 1 } })), 1, 'edited', /is a record of batch \d+, but the export is of batch \d+/);
      const later = new Date(Date.parse(String(bodies.at(-1)?.recordedAt)) + 3600_000).toISOString();
      expectBroken(await verifyText(forge(bodies, { filter: { since: later } })), 1, 'edited', /^line 1: was recorded at .*, before the export's since/);
      const earlier = String(bodies[0]?.recordedAt);
      expectBroken(await verifyText(forge(bodies, { filter: { until: earlier } })), 1, 'edited', /^line 1: was recorded at .*, not before the export's until/);
    });
  });

  it('refuses evidence without its slot, a member every format 2 and 3 record has', async () => {
    const forged = forge(
      withBody(2, (body) => {
        const evidence: Record<string, unknown> = { ...(body.evidence as object) };
        delete evidence.slot;
        return { ...body, evidence };
      }),
    );
    expect(forged.split('\n')[1]).not.toContain('"slot":');
    expectBroken(await verifyText(forged), 2, 'malformed', /record\.evidence\.slot/);
  });

  it('reports invalid UTF-8 as NOT INTACT (malformed), naming its line, in the library and the CLI', async () => {
    const lines = whole.split('\n');
    const broken = Buffer.concat([Buffer.from(`${lines.slice(0, 2).join('\n')}\n`), Buffer.from([0xc3, 0x28]), Buffer.from(`${lines.slice(2).join('\n')}`)]);
    expectBroken(await verifyText(broken), 3, 'malformed', /^line 3: is not valid UTF-8/);
    const run = runCli(['records', 'verify', write(broken)]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^NOT INTACT \(malformed\): line 3: is not valid UTF-8/);
  });

  it('names the key a re-signed file carries, not the one passed, when the key was replaced', async () => {
    const other = createStationFixture();
    try {
      const outcome = await verifyJsonlExport(write(whole), other.records.identity.publicKey);
      expectBroken(outcome, 7, 'untrusted-key', new RegExp(`carries station key ${headOfWhole.stationPublicKey.replaceAll('+', '\\+')} \\(fingerprint ${station.records.identity.fingerprint}\\)`));
      if (!outcome.intact) expect(outcome.message).toContain(`not the key passed with --station-key (fingerprint ${other.records.identity.fingerprint})`);
    } finally {
      other.cleanup();
    }
  });
});
