// Exports written before records format 2 still verify: tests/fixtures/records-format-1.jsonl was
// exported by the station as it was before the record gained its evidence (commit 9b9b892), with
// one provisioned and one failed handset. A byte edited in it is still caught.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyJsonlExport } from '../../../src/main/records/verify-export.ts';

const FIXTURE = join(import.meta.dirname, '../../fixtures/records-format-1.jsonl');
const STATION_KEY = 'vCXaYchYaVTmozSWnK38BXD/lyiBu0oSxX8dhZwvLtw=';
const dir = mkdtempSync(join(tmpdir(), 'lockstep-format-1-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a format 1 export', () => {
  it('verifies, pinned to the station key that signed it', async () => {
    const outcome = await verifyJsonlExport(FIXTURE, STATION_KEY);
    expect(outcome).toMatchObject({ intact: true, records: 2, keyPinned: true, head: { format: 'lockstep-records/1' } });
  });

  it('still fails when one of its bytes is edited', async () => {
    const edited = join(dir, 'edited.jsonl');
    writeFileSync(edited, readFileSync(FIXTURE, 'utf8').replace('"imei":"352099001761481"', '"imei":"352099001761482"'));
    expect(await verifyJsonlExport(edited, STATION_KEY)).toMatchObject({ intact: false, line: 1 });
  });
});
