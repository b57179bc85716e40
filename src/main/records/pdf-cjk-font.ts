// Finds a font that draws Chinese for the PDF reports. pdf-lib's standard fonts encode WinAnsi only,
// so without one an operator's Chinese name or a failure reason in Chinese is shown escaped. The
// font named by LOCKSTEP_PDF_FONT is the only one tried when it is set (an administrator's explicit
// choice is never swapped for another font silently); otherwise the well-known places of each
// platform's CJK fonts, in order. A font file is input like any other: one that cannot be read, is
// too large, is not a font fontkit can parse, has no Chinese glyphs or fails a trial embedding is
// skipped with a reason, and the report falls back to escaped text, saying why; it never crashes it.
// The reasons quote paths and fontkit's words as they are: whoever shows them escapes them.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fontkit, { type Font } from '@pdf-lib/fontkit';
import { PDFDocument } from 'pdf-lib';

export const PDF_FONT_ENV = 'LOCKSTEP_PDF_FONT';
/** Larger than any CJK font shipped (Noto Serif CJK's collection is about 25 MiB); a bound on what is read. */
const MAX_FONT_BYTES = 64 * 1024 * 1024;
/** Characters a font must draw to be used: the report's Chinese is operator names, reasons and UI words. */
const PROBE_TEXT = 'Lockstep 0123 闪存写入失败：序列号';

/** A file and, in a collection (.ttc), the face to draw with: the Simplified Chinese one where a collection has several. */
interface Candidate {
  readonly path: string;
  readonly face?: string;
}

function candidates(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): Candidate[] {
  if (platform === 'win32') {
    const fonts = join(env.WINDIR ?? 'C:\\Windows', 'Fonts');
    return [
      { path: join(fonts, 'msyh.ttc'), face: 'MicrosoftYaHei' },
      { path: join(fonts, 'simsun.ttc'), face: 'SimSun' },
    ];
  }
  if (platform === 'darwin') {
    return [
      { path: '/System/Library/Fonts/PingFang.ttc', face: 'PingFangSC-Regular' },
      { path: '/System/Library/Fonts/STHeiti Medium.ttc', face: 'STHeitiSC-Medium' },
      { path: '/System/Library/Fonts/STHeiti Light.ttc', face: 'STHeitiSC-Light' },
    ];
  }
  return [
    { path: '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc', face: 'WenQuanYiMicroHei' },
    { path: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc', face: 'NotoSansCJKsc-Regular' },
    { path: '/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc', face: 'NotoSansCJKsc-Regular' },
    { path: '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc', face: 'WenQuanYiZenHei' },
  ];
}

export type PdfFontChoice =
  | { readonly kind: 'cjk'; readonly path: string; readonly face: Font; readonly bytes: Uint8Array }
  | { readonly kind: 'standard'; readonly reason: string };

class UnusableFont extends Error {}

/** A collection's faces; null for a single font. fontkit.create returns a collection for a .ttc given no face name. */
function facesOf(parsed: unknown): Font[] | null {
  const faces = (parsed as { fonts?: unknown }).fonts;
  return Array.isArray(faces) ? (faces as Font[]) : null;
}

const drawsProbe = (face: Font): boolean => [...PROBE_TEXT].every((char) => face.hasGlyphForCodePoint(char.codePointAt(0) ?? 0));

function pickFace(parsed: unknown, wanted: string | undefined): Font {
  const faces = facesOf(parsed);
  if (faces === null) {
    const font = parsed as Font;
    if (typeof font.hasGlyphForCodePoint !== 'function') throw new UnusableFont('is not a font');
    if (!drawsProbe(font)) throw new UnusableFont('has no Chinese glyphs');
    return font;
  }
  const face = faces.find((each) => each.postscriptName === wanted && drawsProbe(each)) ?? faces.find(drawsProbe);
  if (!face) throw new UnusableFont(`is a collection of ${faces.length} face(s), none with Chinese glyphs`);
  return face;
}

/** Embeds the face into a scratch document and saves it: the steps a report takes, so a font that breaks them is refused here. */
async function tryEmbedding(face: Font, bytes: Uint8Array): Promise<void> {
  const doc = await PDFDocument.create();
  doc.registerFontkit({ create: () => face });
  const font = await doc.embedFont(bytes, { subset: true });
  font.encodeText(PROBE_TEXT);
  font.widthOfTextAtSize(PROBE_TEXT, 8);
  await doc.save();
}

async function load(candidate: Candidate): Promise<PdfFontChoice & { kind: 'cjk' }> {
  let bytes: Uint8Array;
  try {
    const stat = statSync(candidate.path);
    if (!stat.isFile()) throw new UnusableFont('is not a file');
    if (stat.size > MAX_FONT_BYTES) throw new UnusableFont(`is larger than ${MAX_FONT_BYTES / 1024 / 1024} MiB`);
    bytes = readFileSync(candidate.path);
  } catch (error) {
    if (error instanceof UnusableFont) throw error;
    throw new UnusableFont(`cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let face: Font;
  try {
    face = pickFace(fontkit.create(bytes), candidate.face);
    await tryEmbedding(face, bytes);
  } catch (error) {
    if (error instanceof UnusableFont) throw error;
    throw new UnusableFont(`is not a font pdf-lib can embed (${(error instanceof Error ? error.message : String(error)).slice(0, 200)})`);
  }
  // The same face serves the report: each embedding makes a subset of its own.
  return { kind: 'cjk', path: candidate.path, face, bytes };
}

/** The CJK font a report embeds, or why it draws with the standard fonts. */
export async function choosePdfFont(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): Promise<PdfFontChoice> {
  const explicit = env[PDF_FONT_ENV];
  if (explicit !== undefined && explicit !== '') {
    try {
      return await load({ path: explicit });
    } catch (error) {
      if (!(error instanceof UnusableFont)) throw error;
      return { kind: 'standard', reason: `the font ${PDF_FONT_ENV} names, ${explicit}, ${error.message}` };
    }
  }
  const skipped: string[] = [];
  for (const candidate of candidates(env, platform)) {
    try {
      return await load(candidate);
    } catch (error) {
      if (!(error instanceof UnusableFont)) throw error;
      // An absent font is the common case, not worth a word; a damaged one is.
      if (!error.message.startsWith('cannot be read (ENOENT)')) skipped.push(`${candidate.path} ${error.message}`);
    }
  }
  const looked = candidates(env, platform).map((candidate) => candidate.path).join(', ');
  return { kind: 'standard', reason: skipped.length > 0 ? skipped.join('; ') : `none of ${looked} is there; set ${PDF_FONT_ENV} to a font file` };
}
