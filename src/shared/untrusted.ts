// Rendering of untrusted strings: anything that came from a handset, a bundle or a file. Values
// are stored exactly as received; these functions make a copy that is safe to show in one
// particular place (a terminal, a table cell, a CSV cell, a PDF page, a ZPL field). They are pure
// and free of Node and DOM so the core, the label renderer and the UI all share one definition of
// "safe". Every function is linear in the input it keeps, so a 10 MB value costs one pass.

/** Default cap for a value shown to a person; long enough for any real identity string. */
export const DEFAULT_DISPLAY_LIMIT = 256;

/**
 * Code points that reorder or hide text (bidi embeddings, overrides and isolates, the implicit
 * marks, zero-width characters, the BOM): a serial number containing U+202E can display as a
 * different serial number, so these are always shown as escapes.
 */
const INVISIBLE_OR_REORDERING = new Set([
  0x061c, 0x200b, 0x200c, 0x200d, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2060, 0x2066, 0x2067, 0x2068,
  0x2069, 0xfeff,
]);

/** C0 controls (NUL to US, including tab and newlines), DEL, C1 controls, bidi/invisible marks. */
export function isUnsafeCodePoint(codePoint: number): boolean {
  return codePoint < 0x20 || (codePoint >= 0x7f && codePoint <= 0x9f) || INVISIBLE_OR_REORDERING.has(codePoint);
}

function isLoneSurrogate(codePoint: number): boolean {
  return codePoint >= 0xd800 && codePoint <= 0xdfff;
}

function hex(codePoint: number, digits: number): string {
  return codePoint.toString(16).toUpperCase().padStart(digits, '0');
}

/** The code points of INVISIBLE_OR_REORDERING plus DEL and C1, as a pattern over JSON text. */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/g;

/**
 * JSON text (from JSON.stringify, which already escapes C0 controls and lone surrogates) with DEL,
 * C1 and bidi/invisible characters also written as `\uXXXX` escapes: the same JSON value, safe to
 * print to a terminal.
 */
export function terminalSafeJson(json: string): string {
  return json.replace(UNSAFE_IN_JSON, (char) => `\\u${hex(char.charCodeAt(0), 4).toLowerCase()}`);
}

/** The most characters escapeControlChars writes for one UTF-16 unit (`\u202E`, `\uD800`). */
export const MAX_ESCAPE_EXPANSION = 6;

/** The visible escape for a code point: `\x00` below 0x100, `\u202E` above. */
export function escapeCodePoint(codePoint: number): string {
  return codePoint < 0x100 ? `\\x${hex(codePoint, 2)}` : `\\u${hex(codePoint, 4)}`;
}

/**
 * Replaces control characters, bidi overrides, invisible characters and unpaired surrogates with
 * visible escapes (`\x00`, `\x1B`, `\u202E`). A backslash is doubled so an escape in the output
 * always means an escaped character, never a literal "\x00" the device sent.
 */
export function escapeControlChars(text: string): string {
  let out = '';
  for (const char of text) {
    const codePoint = char.codePointAt(0) ?? 0;
    if (char === '\\') out += '\\\\';
    else if (isUnsafeCodePoint(codePoint) || isLoneSurrogate(codePoint)) out += escapeCodePoint(codePoint);
    else out += char;
  }
  return out;
}

/** The marker appended to a shortened value, naming how much was cut so nothing is cut silently. */
export function truncationMarker(removedChars: number): string {
  return `…[truncated ${removedChars} chars]`;
}

const TRAILING_MARKER = /…\[truncated (\d+) chars\]$/;

/**
 * A value the station shortened, as what was kept and how much was cut, so a front end can say so in the
 * operator's language; null when the value does not end in truncationMarker's words.
 */
export function trailingTruncation(text: string): { readonly kept: string; readonly removed: number } | null {
  const found = TRAILING_MARKER.exec(text);
  return found ? { kept: text.slice(0, found.index), removed: Number(found[1]) } : null;
}

/** Where to cut `text` to keep at most `limit` UTF-16 units without splitting a surrogate pair. */
function cutIndex(text: string, limit: number): number {
  if (text.length <= limit) return text.length;
  const keep = Math.max(0, limit);
  const last = text.charCodeAt(keep - 1);
  return keep > 0 && last >= 0xd800 && last <= 0xdbff ? keep - 1 : keep;
}

/** Keeps at most `limit` UTF-16 units and appends a visible marker saying how many were cut (`marker`: in another language). */
export function capLength(text: string, limit: number, marker = truncationMarker): string {
  const keep = cutIndex(text, limit);
  return keep === text.length ? text : text.slice(0, keep) + marker(text.length - keep);
}

/**
 * The one call for showing an untrusted value to a person (terminal, UI cell, report): cap first
 * (so a 10 MB value is not escaped in full), then escape. The cap counts the original value.
 */
export function displaySafe(text: string, limit = DEFAULT_DISPLAY_LIMIT, marker = truncationMarker): string {
  const keep = cutIndex(text, limit);
  const shown = escapeControlChars(text.slice(0, keep));
  return keep === text.length ? shown : shown + marker(text.length - keep);
}

/**
 * Cells that Excel, LibreOffice or Google Sheets may treat as a formula: starting with tab or CR, or
 * with `=`, `+`, `-`, `@` (or their full-width forms, which some locales accept) after any leading
 * whitespace or quotes, which importers can trim.
 */
const FORMULA_TRIGGER = /^(?:[\t\r]|[\s"']*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20])/;

/**
 * A spreadsheet executes a cell starting with a formula sign (OWASP "CSV injection"); a leading
 * apostrophe makes it text. The value stays readable and the change is visible.
 */
export function neutraliseFormula(cell: string): string {
  return FORMULA_TRIGGER.test(cell) ? `'${cell}` : cell;
}

/** RFC 4180 field: quoted when it holds a quote, comma, CR or LF; quotes doubled. */
export function quoteCsvField(cell: string): string {
  return /[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
}

/** One CSV cell from an untrusted value: formula-neutralised, then RFC 4180 quoted. */
export function csvCell(value: string): string {
  return quoteCsvField(neutraliseFormula(value));
}

/**
 * The characters beyond ASCII that the PDF standard fonts can draw (WinAnsiEncoding): Latin-1's
 * printable upper half plus the Windows-1252 additions in 0x80–0x9F.
 */
const WIN_ANSI_EXTRAS = new Set([
  0x20ac, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x017d, 0x2018, 0x2019,
  0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x017e, 0x0178,
]);

export function isWinAnsiPrintable(codePoint: number): boolean {
  return (codePoint >= 0x20 && codePoint <= 0x7e) || (codePoint >= 0xa0 && codePoint <= 0xff) || WIN_ANSI_EXTRAS.has(codePoint);
}

/**
 * Text for a PDF drawn with a font that can draw the characters `canDraw` accepts: shown as
 * `displaySafe`, then every other character replaced by its `\u{….}` escape, visibly rather than dropped.
 */
export function pdfFontSafe(text: string, limit: number, canDraw: (codePoint: number) => boolean): string {
  let out = '';
  for (const char of displaySafe(text, limit)) {
    const codePoint = char.codePointAt(0) ?? 0;
    out += canDraw(codePoint) ? char : `\\u{${hex(codePoint, 4)}}`;
  }
  return out;
}

/** Text for a PDF drawn with a standard font, which encodes WinAnsi only. */
export function winAnsiSafe(text: string, limit = DEFAULT_DISPLAY_LIMIT): string {
  return pdfFontSafe(text, limit, isWinAnsiPrintable);
}

/**
 * Field data for ZPL, to be placed after `^FH_^FD` with `^CI28` (UTF-8) in effect. The caret and
 * tilde start ZPL commands anywhere in a field, so they, the `_` hex indicator itself, and every
 * byte outside printable ASCII are written as `_XX` hex escapes of their UTF-8 bytes. Unpaired
 * surrogates become U+FFFD.
 */
export function zplFieldData(text: string, limit = DEFAULT_DISPLAY_LIMIT): string {
  let out = '';
  for (const char of capLength(text, limit)) {
    const codePoint = char.codePointAt(0) ?? 0;
    const plain = codePoint >= 0x20 && codePoint <= 0x7e && char !== '^' && char !== '~' && char !== '_';
    out += plain ? char : utf8Bytes(isLoneSurrogate(codePoint) ? 0xfffd : codePoint).map((byte) => `_${hex(byte, 2)}`).join('');
  }
  return out;
}

/** The UTF-8 encoding of one code point (src/shared has no TextEncoder). */
function utf8Bytes(codePoint: number): number[] {
  if (codePoint < 0x80) return [codePoint];
  if (codePoint < 0x800) return [0xc0 | (codePoint >> 6), 0x80 | (codePoint & 0x3f)];
  if (codePoint < 0x10000) return [0xe0 | (codePoint >> 12), 0x80 | ((codePoint >> 6) & 0x3f), 0x80 | (codePoint & 0x3f)];
  return [0xf0 | (codePoint >> 18), 0x80 | ((codePoint >> 12) & 0x3f), 0x80 | ((codePoint >> 6) & 0x3f), 0x80 | (codePoint & 0x3f)];
}
