// The one i18n layer of the operator UI (i18next through react-i18next). English and Simplified
// Chinese ship complete (a unit test compares their keys); the language follows the system locale
// unless the operator chose one in settings.
import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import { en } from './en.ts';
import { zhCN } from './zh-CN.ts';

import { languageFor, LANGUAGES, type Language } from './language.ts';

export { LANGUAGES, type Language } from './language.ts';

const STORAGE_KEY = 'lockstep.language';

export function storedLanguage(): Language | null {
  const stored = localStorage.getItem(STORAGE_KEY);
  return (LANGUAGES as readonly string[]).includes(stored ?? '') ? (stored as Language) : null;
}

/** null: follow the system locale again. */
export async function chooseLanguage(language: Language | null): Promise<void> {
  if (language === null) localStorage.removeItem(STORAGE_KEY);
  else localStorage.setItem(STORAGE_KEY, language);
  await i18next.changeLanguage(language ?? languageFor(navigator.language));
}

export async function initI18n(): Promise<typeof i18next> {
  await i18next.use(initReactI18next).init({
    resources: { en: { translation: en }, 'zh-CN': { translation: zhCN } },
    lng: storedLanguage() ?? languageFor(navigator.language),
    fallbackLng: 'en',
    supportedLngs: [...LANGUAGES],
    // React escapes what it renders; i18next must not escape again (handset strings would show &amp;).
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  const sync = (language: string): void => document.documentElement.setAttribute('lang', language);
  sync(i18next.language);
  i18next.on('languageChanged', sync);
  return i18next;
}
