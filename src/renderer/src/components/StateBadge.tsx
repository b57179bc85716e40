// Every state as text, icon and colour together: colour alone is never the signal (ISA-101).
import { useTranslation } from 'react-i18next';
import type { ShownError } from '../station-client.ts';
import { findingWords, wordedParams } from '../station-words.ts';
import { StationOriginal } from './StationOriginal.tsx';

/** The look of a state: calm for normal work, colour only where a person must attend. */
export type Tone = 'normal' | 'active' | 'done' | 'attention' | 'alarm';

export const TONE_ICONS: Readonly<Record<Tone, string>> = {
  normal: '○',
  active: '◐',
  done: '✓',
  attention: '▲',
  alarm: '✕',
};

export function StateBadge({ tone, label, icon }: { readonly tone: Tone; readonly label: string; readonly icon?: string }) {
  return (
    <span className={`badge tone-${tone}`}>
      <span className="badge-icon" aria-hidden="true">
        {icon ?? TONE_ICONS[tone]}
      </span>
      <span className="badge-text">{label}</span>
    </span>
  );
}

/**
 * Codes that name only a kind of refusal: their words say "the records refused this", and the
 * station's sentence is the one place that says what exactly, so it stays beside them.
 */
const CATEGORY_CODES: ReadonlySet<string> = new Set(['RECORDS_REFUSED', 'SETTINGS_INVALID', 'bad-request', 'dialog']);

/**
 * A station call's failure, in the operator's words when the code is one we know: a refusal of the
 * station's own (`errors`), else a failure code (a bundle's, say: worded as on a handset's card), which all have words.
 * A refusal's words say the whole fact (its ids and paths come as translation parameters), so the
 * station's English sentence for the same fact is not printed again under it; a failure code's words
 * say only what went wrong, so the finding's own words follow them (a key and parameters the station
 * sent); a code or finding without words, or a kind of refusal, keeps the station's words beside them.
 */
export function ErrorText({ error }: { readonly error: ShownError | null }) {
  const { t, i18n } = useTranslation();
  if (!error) return null;
  const refusal = i18n.exists(`errors.${error.code}`);
  const failure = !refusal && i18n.exists(`failure.${error.code}.what`);
  const words = refusal ? t(`errors.${error.code}`, wordedParams(error.params ?? {}, t)) : failure ? t(`failure.${error.code}.what`) : t('errors.generic');
  // The exact finding in words (a bundle's missing file, its altered image): named by the station, or the failure code's one finding.
  const findingKey = error.detail ?? (failure ? error.code : null);
  const finding = findingKey === null ? null : findingWords(findingKey, error.params ?? {}, t);
  const stationWords = !refusal || CATEGORY_CODES.has(error.code);
  return (
    <p role="alert" className="error-text">
      <StateBadge tone="alarm" label={words} />
      {finding !== null && <span className="error-detail">{finding}</span>}
      {(stationWords || finding !== null) && (
        <span className="error-detail">
          <StationOriginal text={error.message} collapsed={finding !== null} />
        </span>
      )}
    </p>
  );
}
