// The station's idle lock: a policy, shown to everyone; only an admin changes it (the station
// refuses anyone else), so a technician cannot switch the lock off for an unattended bench.
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { StationApi, StationSettingsView } from '../../../../shared/api.ts';
import { ErrorText, StateBadge } from '../../components/StateBadge.tsx';
import { useAction } from './use-action.ts';

interface IdleLockProps {
  readonly station: StationApi;
  readonly settings: StationSettingsView;
  readonly canEdit: boolean;
  readonly onSaved: (settings: StationSettingsView) => void;
}

export function IdleLock({ station, settings, canEdit, onSaved }: IdleLockProps) {
  const { t } = useTranslation();
  const [minutes, setMinutes] = useState(String(settings.idleLockMinutes));
  const [saved, setSaved] = useState(false);
  const action = useAction();
  const current = settings.idleLockMinutes === 0 ? t('settings.idleNever') : t('settings.idleAfter', { count: settings.idleLockMinutes });
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setSaved(false);
    const answer = await action.run(() => station['settings.idleLock']({ minutes: Number(minutes) }));
    if (answer) {
      setSaved(true);
      onSaved(answer);
    }
  };
  return (
    <section className="panel" aria-labelledby="idle-lock-heading">
      <h3 id="idle-lock-heading">{t('settings.idleLock')}</h3>
      <p data-testid="idle-lock">{current}</p>
      <p className="hint">{t('settings.idleHint')}</p>
      {canEdit ? (
        <form className="inline-form" onSubmit={submit} aria-label={t('settings.idleLock')}>
          <label className="field">
            <span>{t('settings.idleMinutes')}</span>
            <input type="number" min={0} max={240} step={1} required value={minutes} onChange={(event) => setMinutes(event.target.value)} />
          </label>
          <button type="submit" disabled={action.busy}>
            {t('settings.saveIdleLock')}
          </button>
          {saved && (
            <p role="status">
              <StateBadge tone="done" label={t('settings.idleLockSaved')} />
            </p>
          )}
          <ErrorText error={action.error} />
        </form>
      ) : (
        <p className="hint">{t('settings.idleAdminOnly')}</p>
      )}
    </section>
  );
}
