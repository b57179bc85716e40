// The operator UI's languages and how a system locale maps to one; free of the DOM so formatting can use it.
export const LANGUAGES = ['en', 'zh-CN'] as const;
export type Language = (typeof LANGUAGES)[number];

/** The language for a locale tag such as `zh-Hans-CN`, `zh` or `en-GB`. */
export function languageFor(locale: string): Language {
  return locale.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}
