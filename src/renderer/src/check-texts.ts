// A handset's AT checks as its device profile words them, in the operator's language: the station
// sends a check by its id, and the profile (from the station's settings) gives its title and
// failure advice in English and, where it has them, in the operator's other languages.
import { createContext, useContext, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { PROFILE_TEXT_LANGUAGES, type CheckTexts, type ProfileSummary, type ProfileTextLanguage } from '../../shared/profile.ts';
import { deviceText } from './shown-text.ts';

/** The station's profiles, once its settings are read; none before. */
export const ProfilesContext = createContext<readonly ProfileSummary[]>([]);

/** A check's title and advice for the operator, escaped (profile files are read as untrusted), or null for a check no profile names. */
export type CheckTextsLookup = (profile: string | null, check: string) => CheckTexts | null;

export function checkTextsLookup(profiles: readonly ProfileSummary[], language: string): CheckTextsLookup {
  const other = (PROFILE_TEXT_LANGUAGES as readonly string[]).includes(language) ? (language as ProfileTextLanguage) : null;
  return (profile, check) => {
    // The handset's own profile first; a record that does not name one takes the first profile with the check.
    const owner = profiles.find((candidate) => candidate.id === profile && candidate.checks.some((c) => c.id === check)) ?? profiles.find((candidate) => candidate.checks.some((c) => c.id === check));
    const summary = owner?.checks.find((c) => c.id === check);
    if (!summary) return null;
    const texts = (other && summary.texts[other]) ?? summary.texts.en;
    return { title: deviceText(texts.title, 80), failure: deviceText(texts.failure, 400) };
  };
}

export function useCheckTexts(): CheckTextsLookup {
  const profiles = useContext(ProfilesContext);
  const { i18n } = useTranslation();
  return useMemo(() => checkTextsLookup(profiles, i18n.language), [profiles, i18n.language]);
}
