import { useTranslation } from 'react-i18next';
import { StateBadge } from './StateBadge.tsx';

/**
 * The place of the printer state and the label preview. The labels subsystem's rendering and
 * printer status are not reachable through the station API yet, so this says so instead of
 * drawing a made-up label.
 */
export function LabelsUnavailable() {
  const { t } = useTranslation();
  return (
    <section className="labels-slot" aria-label={t('labels.region')} data-testid="labels-unavailable">
      <StateBadge tone="normal" icon="⊘" label={t('labels.unavailable')} />
      <p className="hint">{t('labels.unavailableHint')}</p>
    </section>
  );
}
