// Every state as text, icon and colour together: colour alone is never the signal (ISA-101).
import { useTranslation } from 'react-i18next';

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
 * A station call's failure, in the operator's words when the code is one we know: a refusal of the
 * station's own (`errors`), else a handset failure code (a bundle's, say), which all have words.
 */
export function ErrorText({ error }: { readonly error: { readonly code: string; readonly message: string } | null }) {
  const { t, i18n } = useTranslation();
  if (!error) return null;
  const words = i18n.exists(`errors.${error.code}`)
    ? t(`errors.${error.code}`)
    : i18n.exists(`failure.${error.code}.what`)
      ? t(`failure.${error.code}.what`)
      : t('errors.generic');
  return (
    <p role="alert" className="error-text">
      <StateBadge tone="alarm" label={words} />
      <span className="error-detail" data-station-words>
        {error.message}
      </span>
    </p>
  );
}
