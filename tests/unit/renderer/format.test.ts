// The renderer's number, size, rate, date and list formatting follows the i18n language, also after
// it changes (the formatters are made once per language and kept).
import i18next from 'i18next';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDateTime, formatDuration, formattingLocale, formatList, formatMegabytes, formatNumber, formatRate } from '../../../src/renderer/src/format.ts';

describe('the formatting locale', () => {
  it("is the system's full locale when it speaks the operator's language, else the operator's language", () => {
    expect(formattingLocale('en', ['en-GB', 'en'])).toBe('en-GB');
    expect(formattingLocale('zh-CN', ['en-GB', 'zh-Hans-CN'])).toBe('zh-Hans-CN');
    expect(formattingLocale('zh-CN', ['en-GB'])).toBe('zh-CN');
    expect(formattingLocale('en', [])).toBe('en');
    // A British English station writes the day first and a 24-hour clock.
    expect(new Intl.DateTimeFormat(formattingLocale('en', ['en-GB']), { dateStyle: 'short', timeStyle: 'short', timeZone: 'UTC' }).format(new Date('2026-12-04T14:14:00Z'))).toBe(
      '04/12/2026, 14:14',
    );
  });
});

describe('renderer formatting', () => {
  beforeAll(async () => {
    await i18next.init({ lng: 'en', resources: {} });
  });
  afterAll(async () => {
    await i18next.changeLanguage('en');
  });

  it('formats for English, then for Simplified Chinese after the language changes', async () => {
    await i18next.changeLanguage('en');
    expect(formatNumber(12345.6)).toBe('12,346');
    expect(formatRate(1_500_000)).toBe('1.5 MB/s');
    expect(formatMegabytes(250_000_000)).toBe('250 MB');
    expect(formatList(['A', 'B', 'C'])).toBe('A, B, and C');
    const when = '2026-03-04T05:06:07Z';
    const english = formatDateTime(when);
    expect(english).toMatch(/2026/);

    await i18next.changeLanguage('zh-CN');
    expect(formatList(['A', 'B', 'C'])).toBe('A、B和C');
    expect(formatDateTime(when)).not.toBe(english);
    expect(formatDateTime(when)).toMatch(/2026年/);

    await i18next.changeLanguage('en');
    expect(formatList(['A', 'B'])).toBe('A and B');
  });

  it('writes durations as h:mm:ss or m:ss in every language', () => {
    expect(formatDuration(59.6)).toBe('1:00');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(-3)).toBe('0:00');
  });
});
