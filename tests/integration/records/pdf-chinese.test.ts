// Chinese (a serial, a firmware version, a failure reason) in the station's PDF report (`lockstep records export --format pdf`): drawn with the CJK
// font embedded as a subset, read back by pdftotext as the characters themselves; and, when the font
// LOCKSTEP_PDF_FONT names is missing or garbage, escaped as \u{XXXX}, with a line in the PDF and a
// warning on the CLI saying so.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PDF_FONT_ENV } from '../../../src/main/records/pdf-cjk-font.ts';
import { winAnsiSafe } from '../../../src/shared/untrusted.ts';
import { runCliAsync } from '../../lockstep-cli.ts';
import { createStationFixture, recordFor, type StationFixture } from './fixture.ts';
import { unwrapped } from './pdf-reading.ts';

const WQY = '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc';
const FIRMWARE = '固件-14.2';
const SERIAL = '序列号-闪存-7';
const REASON = '闪存写入失败：分区校验不一致';

let station: StationFixture;

beforeAll(() => {
  station = createStationFixture();
  const device = station.records.registerDevice({ batchId: station.batchId, serial: SERIAL, identity: { serialno: SERIAL } });
  station.records.commitProvisioningRecord(recordFor(device.id, { firmwareVersion: FIRMWARE, failureReason: REASON }));
});
afterEach(() => {
  delete process.env[PDF_FONT_ENV];
});
afterAll(() => station.cleanup());

/** Exports the station's records as a PDF with LOCKSTEP_PDF_FONT set to `font`; its text as pdftotext reads it, and the CLI's stderr. */
async function exportPdf(name: string, font: string): Promise<{ text: string; stderr: string; bytes: number }> {
  process.env[PDF_FONT_ENV] = font;
  const out = join(station.dir, name);
  const run = await runCliAsync(['records', 'export', '--db', station.records.databasePath, '--format', 'pdf', '--out', out]);
  expect(run.status, run.stderr).toBe(0);
  const text = spawnSync('pdftotext', ['-raw', out, '-'], { encoding: 'utf8' });
  expect(text.status, text.stderr).toBe(0);
  return { text: text.stdout, stderr: run.stderr, bytes: statSync(out).size };
}

describe('Chinese text in the PDF report', () => {
  it.skipIf(!existsSync(WQY))('is drawn with the CJK font, a subset of it, and pdftotext reads back the characters', async () => {
    const { text, stderr, bytes } = await exportPdf('chinese.pdf', WQY);
    expect(stderr).toBe('');
    for (const chinese of [FIRMWARE, SERIAL, REASON]) expect(unwrapped(text)).toContain(chinese);
    expect(text).not.toMatch(/\\u\{[0-9A-F]{4,}\}/);
    expect(text).not.toContain('no CJK font found');
    // The font file is 5 MB; the subset holds only the glyphs drawn.
    expect(bytes).toBeLessThan(150_000);
  });

  it('falls back to escaped text, saying so in the PDF and on the CLI, for a missing font file and a garbage one', async () => {
    const garbage = join(station.dir, 'garbage.ttc');
    writeFileSync(garbage, Buffer.alloc(4096, 0x5a));
    for (const [font, why] of [
      [join(station.dir, 'no-such-font.ttc'), 'cannot be read (ENOENT)'],
      [garbage, 'is not a font pdf-lib can embed (Unknown font format)'],
    ] as const) {
      const { text, stderr } = await exportPdf('escaped.pdf', font);
      expect(stderr).toBe(`warning: no CJK font found, so the PDF shows Chinese text escaped: the font ${PDF_FONT_ENV} names, ${font}, ${why}\n`);
      expect(text).toContain('Note: no CJK font found; Chinese text escaped (\\u{XXXX}).');
      expect(text).toContain(why);
      // The reason has a row of its own (compared without its line breaks); the serial's column wraps it.
      expect(unwrapped(text)).toContain(unwrapped(winAnsiSafe(REASON)));
      expect(text).toContain(winAnsiSafe('序列'));
      expect(text).not.toMatch(/[\u4e00-\u9fff]/);
    }
  });
});
