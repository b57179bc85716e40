import { describe, expect, it } from 'vitest';
import {
  capLength,
  csvCell,
  displaySafe,
  escapeControlChars,
  isUnsafeCodePoint,
  isWinAnsiPrintable,
  neutraliseFormula,
  pdfFontSafe,
  terminalSafeJson,
  winAnsiSafe,
  zplFieldData,
} from '../../../src/shared/untrusted.ts';

describe('untrusted strings', () => {
  it('escapes C0, DEL, C1, bidi overrides and isolates, and lone surrogates, visibly and reversibly', () => {
    expect(escapeControlChars('A\u0000B\u0007\u001b[31m\t\r\n')).toBe('A\\x00B\\x07\\x1B[31m\\x09\\x0D\\x0A');
    expect(escapeControlChars('x\u007fy\u0085z\u009b')).toBe('x\\x7Fy\\x85z\\x9B');
    expect(escapeControlChars('invoice\u202Efdp.exe \u2066a\u2069 \u200b')).toBe('invoice\\u202Efdp.exe \\u2066a\\u2069 \\u200B');
    expect(escapeControlChars('\ud800 and 📱')).toBe('\\uD800 and 📱');
    // A device cannot forge an escape: a literal backslash is doubled.
    expect(escapeControlChars('\\x00')).toBe('\\\\x00');
    expect(escapeControlChars('Ünïcödé ok')).toBe('Ünïcödé ok');
  });

  it('caps length with a marker naming what was cut, without splitting a surrogate pair', () => {
    expect(capLength('abcdef', 10)).toBe('abcdef');
    expect(capLength('abcdef', 4)).toBe('abcd…[truncated 2 chars]');
    expect(capLength('ab📱cd', 3)).toBe('ab…[truncated 4 chars]');
    const huge = 'S'.repeat(10 * 1024 * 1024);
    expect(displaySafe(huge, 16)).toBe(`${'S'.repeat(16)}…[truncated ${huge.length - 16} chars]`);
  });

  it('caps before escaping, so the marker counts the original value', () => {
    expect(displaySafe('\u0000\u0000\u0000\u0000', 2)).toBe('\\x00\\x00…[truncated 2 chars]');
  });

  it('neutralises every cell a spreadsheet would execute and quotes per RFC 4180', () => {
    for (const trigger of ['=', '+', '-', '@', '\t', '\r']) expect(neutraliseFormula(`${trigger}1+1`)).toBe(`'${trigger}1+1`);
    expect(neutraliseFormula('LS7A1000')).toBe('LS7A1000');
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe('"\'=HYPERLINK(""http://x"",""y"")"');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('line\r\nbreak')).toBe('"line\r\nbreak"');
  });

  it('neutralises a formula behind leading spaces or quotes, and full-width formula signs', () => {
    for (const cell of [' =1+1', '  \u00a0@SUM(A1)', '"=cmd|\' /C calc\'!A0"', "'=1+1", '" -2+3', '\u3000=1', '＝1+1', '＋1', '－1', '＠SUM(A1)', '\n=1+1']) {
      expect(neutraliseFormula(cell), JSON.stringify(cell)).toBe(`'${cell}`);
    }
    for (const cell of ['  LS7A1000', '"quoted" serial', "O'Brien", '']) expect(neutraliseFormula(cell)).toBe(cell);
  });

  it('draws only WinAnsi characters in PDFs and shows the others as escapes', () => {
    expect(winAnsiSafe('Café €5 – ok')).toBe('Café €5 – ok');
    expect(winAnsiSafe('序列号📱\u202E')).toBe('\\u{5E8F}\\u{5217}\\u{53F7}\\u{1F4F1}\\u202E');
    for (const char of winAnsiSafe('\u0000\u202E漢\ud800'.repeat(3))) expect(isWinAnsiPrintable(char.codePointAt(0) ?? 0)).toBe(true);
  });

  it('draws in a PDF with an embedded font what it has glyphs for, still escaping controls and direction marks', () => {
    const cjk = (codePoint: number): boolean => codePoint < 0x7f || (codePoint >= 0x4e00 && codePoint <= 0x9fff);
    expect(pdfFontSafe('序列号📱\u202E\u0007', 256, cjk)).toBe('序列号\\u{1F4F1}\\u202E\\x07');
    // The truncation marker's ellipsis too is escaped when the font has no glyph for it.
    expect(pdfFontSafe('闪'.repeat(300), 4, cjk)).toBe('闪闪闪闪\\u{2026}[truncated 296 chars]');
  });

  it('hex-escapes ZPL command prefixes, the hex indicator and non-ASCII bytes in field data', () => {
    expect(zplFieldData('^XA^FDpwn^FS~JA_x')).toBe('_5EXA_5EFDpwn_5EFS_7EJA_5Fx');
    expect(zplFieldData('Ü\n📱\ud800')).toBe('_C3_9C_0A_F0_9F_93_B1_EF_BF_BD');
    expect(zplFieldData('LS7A-1000')).toBe('LS7A-1000');
    expect(zplFieldData('x'.repeat(300), 4)).toBe('xxxx…[truncated 296 chars]'.replace('…', '_E2_80_A6'));
  });

  it('makes JSON terminal-safe without changing the value it encodes', () => {
    const value = { serial: 'a\u202Eb\u0085c\u007f\u0000d\u2066', n: 1 };
    const safe = terminalSafeJson(JSON.stringify(value));
    expect(JSON.parse(safe)).toEqual(value);
    for (const char of safe) expect(isUnsafeCodePoint(char.codePointAt(0) ?? 0)).toBe(false);
    // The JSON pattern and isUnsafeCodePoint agree on every BMP code point above the C0 range.
    for (let codePoint = 0x20; codePoint < 0xd800; codePoint += 1) {
      const char = String.fromCharCode(codePoint);
      expect(terminalSafeJson(char) !== char).toBe(isUnsafeCodePoint(codePoint));
    }
  });
});
