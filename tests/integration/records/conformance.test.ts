// The conformance set of docs/records.md: every committed export file gets exactly the verdict
// expected.json gives it, so a third-party verifier run against the same files and the verifier
// here cannot disagree without a test failing. conformance-set.ts wrote the files.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyJsonlExport } from '../../../src/main/records/verify-export.ts';
import { runCli } from '../../lockstep-cli.ts';
import { CONFORMANCE_DIR, type ConformanceCase } from './conformance-set.ts';

const cases = JSON.parse(readFileSync(join(CONFORMANCE_DIR, 'expected.json'), 'utf8')) as ConformanceCase[];
const stationKey = readFileSync(join(CONFORMANCE_DIR, 'station-key.txt'), 'utf8').trim();

describe('the records conformance set', () => {
  it('lists a verdict for every export file in it, and a file for every verdict', () => {
    const files = readdirSync(CONFORMANCE_DIR).filter((file) => file.endsWith('.jsonl'));
    expect([...new Set(cases.map(({ file }) => file))].sort()).toEqual(files.sort());
  });

  it.each(cases)('$file ($about): $verdict', async ({ file, stationKey: pinned, verdict }) => {
    const outcome = await verifyJsonlExport(join(CONFORMANCE_DIR, file), pinned ?? undefined);
    expect(outcome.intact ? { intact: true } : { intact: false, problem: outcome.problem, line: outcome.line }, outcome.intact ? '' : outcome.message).toEqual(verdict);
  });

  it('holds the tampered copies of one genuine export, each with the key it is pinned to in the PEM file', () => {
    expect(cases.filter(({ verdict }) => !verdict.intact).length).toBeGreaterThan(40);
    const run = runCli(['records', 'verify', join(CONFORMANCE_DIR, 'genuine-whole.jsonl'), '--station-key', join(CONFORMANCE_DIR, 'station.pub.pem')]);
    expect(run.status, run.stderr).toBe(0);
    const pinnedElsewhere = cases.filter(({ stationKey: pinned, file }) => pinned !== null && pinned !== stationKey && !file.startsWith('genuine-format-'));
    expect(pinnedElsewhere).toEqual([]);
  });
});
