import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { BatchStatus, StationApi } from '../../../shared/api.ts';
import { displaySafe } from '../../../shared/untrusted.ts';
import { Dialog } from '../components/Dialog.tsx';
import { ErrorText, StateBadge } from '../components/StateBadge.tsx';
import { fusesInWords } from '../fuse-words.ts';
import { shownError, type ShownError } from '../station-client.ts';

/**
 * The supervisor gate: before any fuse or lock step of the batch runs, a supervisor signs in here,
 * reads what will be done in words, and authorises it for a number of handsets.
 */
export function GateDialog({ station, batch, onAuthorised, onClose }: { readonly station: StationApi; readonly batch: BatchStatus; readonly onAuthorised: (status: BatchStatus) => void; readonly onClose: () => void }) {
  const { t } = useTranslation();
  const [id, setId] = useState('');
  const [pin, setPin] = useState('');
  const [cap, setCap] = useState(batch.expectedCount);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ShownError | null>(null);
  const { info } = batch;
  const consequence = consequenceText(t, info.fuses, info.lockBootloader, cap, displaySafe(info.name, 120));

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const supervisor = { id: id.trim(), pin };
    setPin('');
    try {
      onAuthorised(await station['batch.authorise']({ supervisor, deviceCap: cap }));
    } catch (cause) {
      setError(shownError(cause));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title={t('gate.title')} onClose={onClose}>
      <form onSubmit={submit} className="gate-form">
        <p className="consequence" data-testid="gate-consequence">
          <StateBadge tone="attention" label={consequence} />
        </p>
        <p className="irreversible">{t('gate.cannotUndo')}</p>
        <label className="field">
          <span>{t('gate.cap')}</span>
          <input type="number" min={1} max={100000} value={cap} onChange={(event) => setCap(Math.max(1, Math.floor(Number(event.target.value) || 1)))} />
        </label>
        <label className="field">
          <span>{t('gate.supervisorId')}</span>
          <input value={id} onChange={(event) => setId(event.target.value)} autoComplete="off" required maxLength={64} data-autofocus />
        </label>
        <label className="field">
          <span>{t('gate.supervisorPin')}</span>
          <input value={pin} onChange={(event) => setPin(event.target.value)} type="password" inputMode="numeric" autoComplete="off" required maxLength={64} />
        </label>
        <ErrorText error={error} />
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="primary danger" disabled={busy}>
            {t('gate.authorise')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function consequenceText(t: ReturnType<typeof useTranslation>['t'], fuses: readonly string[], lock: boolean, cap: number, batch: string): string {
  if (fuses.length > 0 && lock) return t('gate.burnsAndLocks', { fuses: fusesInWords(fuses, t), count: cap, batch });
  if (fuses.length > 0) return t('gate.burns', { fuses: fusesInWords(fuses, t), count: cap, batch });
  return t('gate.locks', { count: cap, batch });
}
