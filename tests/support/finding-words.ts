// A coded error's finding in both of the UI's languages, the way the renderer words it (findingWords): for the tests
// that drive a real refusal of the station and check that an operator reading either language sees it in words.
import { createInstance, type TFunction } from 'i18next';
import { expect } from 'vitest';
import { en } from '../../src/renderer/src/i18n/en.ts';
import { zhCN } from '../../src/renderer/src/i18n/zh-CN.ts';
import { findingWords, wordedParams } from '../../src/renderer/src/station-words.ts';
import type { CodedError } from '../../src/shared/coded-error.ts';

/** The UI's `t` in each language, as the renderer configures it (values are escaped by the station, not again). */
export async function uiLanguages(): Promise<Record<'en' | 'zh-CN', TFunction>> {
  const t = {} as Record<'en' | 'zh-CN', TFunction>;
  for (const [language, messages] of [['en', en], ['zh-CN', zhCN]] as const) {
    const i18n = createInstance();
    await i18n.init({ lng: language, resources: { [language]: { translation: messages } }, interpolation: { escapeValue: false } });
    t[language] = i18n.t;
  }
  return t;
}

/**
 * The finding in both languages: worded, every parameter filled in (a code among them, a role say, in that language's
 * words), and no English run of words in the Chinese.
 */
export function worded(error: CodedError, t: Record<'en' | 'zh-CN', TFunction>): { en: string; zh: string } {
  const key = error.detail ?? error.code;
  const words = { en: findingWords(key, error.params, t.en), zh: findingWords(key, error.params, t['zh-CN']) };
  expect(words.en, `words for ${key}`).not.toBeNull();
  expect(words.zh, `words for ${key}`).not.toBeNull();
  for (const language of ['en', 'zh-CN'] as const) {
    const text = language === 'en' ? words.en : words.zh;
    expect(text).not.toContain('{{');
    for (const value of Object.values(wordedParams(error.params, t[language]))) expect(text).toContain(value);
  }
  let chinese = words.zh ?? '';
  for (const value of Object.values(wordedParams(error.params, t['zh-CN']))) chinese = chinese.replaceAll(value, ' ');
  // A command the operator types as it is (lockstep keys generate) is the same in every language.
  chinese = chinese.replace(/lockstep(?: [a-z][a-z-]*){1,2}/g, ' ');
  expect(chinese).not.toMatch(/[A-Za-z]+[ ,;:]+[A-Za-z]+[ ,;:]+[A-Za-z]+/);
  return { en: words.en ?? '', zh: words.zh ?? '' };
}
