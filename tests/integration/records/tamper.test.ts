import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/main/records/canonical-json.ts';
import { chainHash } from '../../../src/main/records/chain.ts';
import { verifyJsonlExport } from '../../../src/main/records/verify-export.ts';
import type { VerifyOutcome, VerifyProblem } from '../../../src/shared/records.ts';
import { isUnsafeCodePoint } from '../../../src/shared/untrusted.ts';
import { runCli } from '../../lockstep-cli.ts';
import { createStationFixture, imei, type StationFixture } from './fixture.ts';

const BIN = resolve(import.meta.dirname, '../../../bin/lockstep.js');

describe('tampered JSON Lines exports', () => {
  let station: StationFixture;
  let lines: string[];
  let file: string;
  let counter = 0;

  /** Verifies a variant of the export given as lines. */
  async function verifyLines(variant: readonly string[], key?: string): Promise<VerifyOutcome> {
    counter += 1;
    const path = join(station.dir, `variant-${counter}.jsonl`);
    writeFileSync(path, `${variant.join('\n')}\n`);
    return verifyJsonlExport(path, key);
  }

  function expectBroken(outcome: VerifyOutcome, line: number, problem: VerifyProblem): void {
    expect(outcome.intact).toBe(false);
    if (outcome.intact) return;
    expect({ line: outcome.line, problem: outcome.problem }, outcome.message).toEqual({ line, problem });
    expect(outcome.message).toMatch(new RegExp(`^line ${line}: `));
  }

  beforeAll(async () => {
    station = createStationFixture();
    for (let n = 0; n < 8; n += 1) {
      station.provision({ serial: `LS7A${2000 + n}`, imei: imei(n), ...(n === 5 ? { fail: { step: 'verify', reason: 'oem sha256 system_a mismatch' } } : {}) });
    }
    file = join(station.dir, 'export.jsonl');
    await station.records.export('jsonl', {}, file);
    lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  });
  afterAll(() => station.cleanup());

  const records = (): number => lines.length - 1;

  it('verifies the untouched export, with the key pinned', async () => {
    expect(await verifyLines(lines, station.records.identity.publicKey)).toMatchObject({ intact: true, records: 8, lines: 9, keyPinned: true });
  });

  it('names any edited record line', async () => {
    for (let index = 0; index < records(); index += 1) {
      const edited = lines.map((line, at) => (at === index ? line.replace(/"imei":"\d+"/, '"imei":"352099001769999"') : line));
      expectBroken(await verifyLines(edited), index + 1, 'edited');
    }
  });

  it('names the line after any deleted line, the first line, or the head', async () => {
    for (let index = 0; index < lines.length; index += 1) {
      const outcome = await verifyLines(lines.filter((_, at) => at !== index));
      if (index === 0) expectBroken(outcome, 1, 'deleted');
      else if (index === records() - 1) expectBroken(outcome, records(), 'deleted');
      else if (index === records()) expectBroken(outcome, records() + 1, 'truncated');
      else expectBroken(outcome, index + 1, 'deleted');
    }
  });

  it('names the first line out of place when two lines are swapped', async () => {
    for (let index = 0; index < lines.length - 1; index += 1) {
      const swapped = [...lines];
      [swapped[index], swapped[index + 1]] = [swapped[index + 1] ?? '', swapped[index] ?? ''];
      const outcome = await verifyLines(swapped);
      // Line 1 has no line before it to disagree with, so a swap of lines 1 and 2 shows at line 2.
      if (index === 0) expectBroken(outcome, 2, 'reordered');
      else if (index === records() - 1) expectBroken(outcome, index + 2, 'inserted');
      else expectBroken(outcome, index + 1, 'reordered');
    }
  });

  it('names a copied line inserted anywhere, and a forged line with a correct hash', async () => {
    for (let index = 0; index < lines.length; index += 1) {
      const copied = [...lines.slice(0, index + 1), lines[index] ?? '', ...lines.slice(index + 1)];
      expectBroken(await verifyLines(copied), index + 2, 'inserted');
    }
    const third = JSON.parse(lines[2] ?? '') as { seq: number; prevHash: string; record: Record<string, unknown> };
    const record = { ...third.record, serial: 'LS7A-FORGED' };
    const forged = JSON.stringify({ type: 'record', seq: third.seq, prevHash: third.prevHash, hash: chainHash(third.prevHash, canonicalJson(record)), record });
    expectBroken(await verifyLines([...lines.slice(0, 2), forged, ...lines.slice(2)]), 4, 'inserted');
  });

  it('names a line whose bytes are not the ones the station wrote, even when its parsed value still hashes right', async () => {
    // JSON.parse keeps the last of duplicate keys, so a forged first "serial" would be what a
    // person or another tool reads while the hash still covers the original.
    const duplicated = lines.map((line, at) => (at === 2 ? line.replace('"record":{', '"record":{"serial":"LS7A-FORGED",') : line));
    expectBroken(await verifyLines(duplicated), 3, 'edited');
    const spaced = lines.map((line, at) => (at === 4 ? line.replace('"seq":', '"seq": ') : line));
    expectBroken(await verifyLines(spaced), 5, 'edited');
    const reescaped = lines.map((line, at) => (at === 1 ? line.replace('"outcome":"p', '"outcome":"\\u0070') : line));
    expectBroken(await verifyLines(reescaped), 2, 'edited');
    const head = lines[records()] ?? '';
    expectBroken(await verifyLines([...lines.slice(0, -1), head.replace('{', '{"records":99,')]), records() + 1, 'edited');
    const elided = JSON.parse(lines[0] ?? '') as { seq: number; prevHash: string; hash: string };
    const elidedSpaced = `{"type":"elided", "seq":${elided.seq},"prevHash":"${elided.prevHash}","hash":"${elided.hash}"}`;
    expect((await verifyLines([elidedSpaced, ...lines.slice(1)])).intact).toBe(false);
  });

  describe('a UTF-8 byte-order mark (EF BB BF) added by an editor', () => {
    const BOM = '\uFEFF';
    const withBom = (at: number): string[] => lines.map((line, index) => (index === at ? BOM + line : line));

    it('names line 1, a middle line, and the signed head line', async () => {
      expectBroken(await verifyLines(withBom(0)), 1, 'edited');
      expectBroken(await verifyLines(withBom(6)), 7, 'edited');
      expectBroken(await verifyLines(withBom(records())), records() + 1, 'edited');
      expectBroken(await verifyLines(lines.map((line) => BOM + line)), 1, 'edited');
    });

    it('names line 1 of the whole file saved with a BOM, through `lockstep records verify`', () => {
      const saved = join(station.dir, 'saved-with-bom.jsonl');
      writeFileSync(saved, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), readFileSync(file)]));
      const run = runCli(['records', 'verify', saved, '--station-key', station.records.identity.publicKey]);
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/^NOT INTACT \(edited\): line 1: starts with a byte-order mark \(EF BB BF\)/);
    });

    it('is no edit before the --station-key PEM file, whose armour is what counts', () => {
      const key = join(station.dir, 'station-with-bom.pub.pem');
      writeFileSync(key, BOM + station.records.identity.publicKeyPem);
      const run = runCli(['records', 'verify', file, '--station-key', key]);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toContain('Intact: 9 lines, 8 records');
    });

    it('fails at the line wherever in it the mark is inserted', async () => {
      for (const index of [1, records()]) {
        const line = lines[index] ?? '';
        for (let at = 0; at <= line.length; at += 1) {
          const inserted = line.slice(0, at) + BOM + line.slice(at);
          const outcome = await verifyLines(lines.map((text, where) => (where === index ? inserted : text)));
          expect(outcome.intact ? 'intact' : outcome.line, `BOM at offset ${at} of line ${index + 1}`).toBe(index + 1);
        }
      }
    });
  });

  it('refuses an edited head, another station key, and garbage', async () => {
    const head = lines[records()] ?? '';
    expectBroken(await verifyLines([...lines.slice(0, -1), head.replace('"records":8', '"records":7')]), records() + 1, 'signature');
    const otherStation = createStationFixture();
    try {
      expectBroken(await verifyLines(lines, otherStation.records.identity.publicKey), records() + 1, 'untrusted-key');
    } finally {
      otherStation.cleanup();
    }
    expectBroken(await verifyLines(['{"type":"record"', ...lines.slice(1)]), 1, 'malformed');
    expectBroken(await verifyLines([...lines.slice(0, 3), '', ...lines.slice(3)]), 4, 'malformed');
  });

  it('reports a hostile line without passing its control characters or its length through', async () => {
    const hostileKey = `\u001b]0;pwned\u0007\u202E${'K'.repeat(100_000)}`;
    const line = (lines[1] ?? '').replace('"record":{', `"record":{${JSON.stringify(hostileKey)}:1,`);
    const outcome = await verifyLines([lines[0] ?? '', line, ...lines.slice(2)]);
    expectBroken(outcome, 2, 'malformed');
    if (outcome.intact) return;
    expect([...outcome.message].filter((char) => isUnsafeCodePoint(char.codePointAt(0) ?? 0))).toEqual([]);
    expect(outcome.message).toContain('\\x1B]0;pwned');
    expect(outcome.message.length).toBeLessThan(1000);
  });

  it('exits 0 from `lockstep records verify` only when the file is intact, naming the broken line', () => {
    const intact = spawnSync(process.execPath, [BIN, 'records', 'verify', file, '--station-key', station.records.identity.publicKey], { encoding: 'utf8' });
    expect(intact.status, intact.stderr).toBe(0);
    expect(intact.stdout).toContain('Intact: 9 lines, 8 records');
    const tampered = join(station.dir, 'tampered.jsonl');
    writeFileSync(tampered, `${lines.filter((_, at) => at !== 3).join('\n')}\n`);
    const broken = spawnSync(process.execPath, [BIN, 'records', 'verify', tampered], { encoding: 'utf8' });
    expect(broken.status).toBe(1);
    expect(broken.stderr).toContain('NOT INTACT (deleted): line 4: holds record 5 but record 4 is missing before it');
  });
});
