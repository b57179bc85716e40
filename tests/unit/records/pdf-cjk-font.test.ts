// Which font the PDF reports draw Chinese with: the one LOCKSTEP_PDF_FONT names, else the first of
// the platform's well-known CJK fonts that is there and usable. A font file is hostile input: a
// missing, garbage, truncated, Latin-only or oversized one gives a reason, never an exception.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { choosePdfFont, PDF_FONT_ENV } from '../../../src/main/records/pdf-cjk-font.ts';

const WQY = '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc';
const DEJAVU = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
const dir = mkdtempSync(join(tmpdir(), 'lockstep-pdf-font-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const named = (path: string) => choosePdfFont({ [PDF_FONT_ENV]: path }, 'linux');

describe('the CJK font of the PDF reports', () => {
  it.skipIf(!existsSync(WQY))('picks the WenQuanYi Micro Hei face, not the Mono one, from its collection (.ttc)', async () => {
    for (const choice of [await named(WQY), await choosePdfFont({}, 'linux')]) {
      expect(choice.kind).toBe('cjk');
      if (choice.kind === 'cjk') expect([choice.path, choice.face.postscriptName]).toEqual([WQY, 'WenQuanYiMicroHei']);
    }
  });

  it('falls back, saying why, for a missing file, a folder, garbage, a truncated font and a file too large', async () => {
    const garbage = join(dir, 'garbage.ttf');
    writeFileSync(garbage, 'this is not a font at all, just text with a .ttf name\n'.repeat(100));
    const folder = join(dir, 'folder.ttf');
    mkdirSync(folder);
    const huge = join(dir, 'huge.ttf');
    writeFileSync(huge, '');
    truncateSync(huge, 65 * 1024 * 1024);
    const cases: [string, RegExp][] = [
      [join(dir, 'absent.ttc'), /absent\.ttc, cannot be read \(ENOENT\)$/],
      [folder, /folder\.ttf, is not a file$/],
      [garbage, /garbage\.ttf, is not a font pdf-lib can embed \(Unknown font format\)$/],
      [huge, /huge\.ttf, is larger than 64 MiB$/],
    ];
    if (existsSync(WQY)) {
      // The collection's header and a table directory, its tables cut off.
      const truncated = join(dir, 'truncated.ttc');
      writeFileSync(truncated, readFileSync(WQY).subarray(0, 4096));
      cases.push([truncated, /truncated\.ttc, (is not a font pdf-lib can embed|is a collection of \d face\(s\), none with Chinese glyphs)/]);
    }
    for (const [path, reason] of cases) {
      const choice = await named(path);
      expect(choice.kind, path).toBe('standard');
      if (choice.kind === 'standard') expect(choice.reason, path).toMatch(new RegExp(`^the font ${PDF_FONT_ENV} names, .*${reason.source}`));
    }
  });

  it.skipIf(!existsSync(DEJAVU))('refuses a font without Chinese glyphs', async () => {
    const choice = await named(DEJAVU);
    expect(choice).toEqual({ kind: 'standard', reason: `the font ${PDF_FONT_ENV} names, ${DEJAVU}, has no Chinese glyphs` });
  });

  it("looks in each platform's own places, and says where when none is there", async () => {
    const windows = await choosePdfFont({ WINDIR: join(dir, 'Windows') }, 'win32');
    expect(windows.kind).toBe('standard');
    if (windows.kind === 'standard') expect(windows.reason).toMatch(/msyh\.ttc, .*simsun\.ttc is there; set LOCKSTEP_PDF_FONT to a font file$/);
  });
});
