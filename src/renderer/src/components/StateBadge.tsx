// Every state as text, icon and colour together: colour alone is never the signal (ISA-101).
import { useTranslation } from 'react-i18next';
import type { ShownError } from '../station-client.ts';

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
const CATEGORY_CODES: ReadonlySet<string> = new Set(['RECORDS_REFUSED', 'SETTINGS_INVALID', 'MANIFEST_INVALID', 'FILE_MISSING', 'bad-request', 'dialog']);

/**
 * A station call's failure, in the operator's words when the code is one we know. A known code's
 * words say the whole fact (its ids and paths come as translation parameters), so the station's
 * English sentence for the same fact is not printed again under it; an unknown code, or one that
 * names only a kind of refusal, keeps the station's words.
 */
export function ErrorText({ error }: { readonly error: ShownError | null }) {
  const { t, i18n } = useTranslation();
  if (!error) return null;
  const known = i18n.exists(`errors.${error.code}`);
  const stationWords = !known || CATEGORY_CODES.has(error.code);
  return (
    <p role="alert" className="error-text">
      <StateBadge tone="alarm" label={known ? t(`errors.${error.code}`, { ...error.params }) : t('errors.generic')} />
      {stationWords && (
        <span className="error-detail" data-station-words>
          {error.message}
        </span>
      )}
    </p>
  );
}
