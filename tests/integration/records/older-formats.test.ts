// Exports written before the current records format still verify. Each fixture was exported by the
// station as it was before the next format: records-format-1.jsonl before the record gained its
// evidence (commit 9b9b892), records-format-2.jsonl before found-set fuses and the AT port (b20847d),
// each with one provisioned and one failed handset. A byte edited in either is still caught.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyJsonlExport } from '../../../src/main/records/verify-export.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures');
const dir = mkdtempSync(join(tmpdir(), 'lockstep-older-formats-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FORMATS = [
  { format: 1, stationKey: 'vCXaYchYaVTmozSWnK38BXD/lyiBu0oSxX8dhZwvLtw=', imei: '352099001761481' },
  { format: 2, stationKey: '4P+KTU+lGOVqhyba76j3cPu36EziEq2MVGBePPsIDG0=', imei: '351955076938786' },
] as const;

describe.each(FORMATS)('a format $format export', ({ format, stationKey, imei }) => {
  const fixture = join(FIXTURES, `records-format-${format}.jsonl`);

  it('verifies, pinned to the station key that signed it', async () => {
    const outcome = await verifyJsonlExport(fixture, stationKey);
    expect(outcome).toMatchObject({ intact: true, records: 2, keyPinned: true, head: { format: `lockstep-records/${format}` } });
  });

  it('still fails when one of its bytes is edited', async () => {
    const edited = join(dir, `edited-${format}.jsonl`);
    const text = readFileSync(fixture, 'utf8');
    expect(text).toContain(`"imei":"${imei}"`);
    writeFileSync(edited, text.replace(`"imei":"${imei}"`, `"imei":"${imei.slice(0, -1)}9"`));
    expect(await verifyJsonlExport(edited, stationKey)).toMatchObject({ intact: false, line: 1 });
  });
});
