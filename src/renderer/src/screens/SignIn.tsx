import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { Session, StationApi } from '../../../shared/api.ts';
import { ErrorText } from '../components/StateBadge.tsx';
import { shownError, type ShownError } from '../station-client.ts';

/** Why the sign-in screen is shown again: this page's idle lock, or a sign-out in another tab of the same browser. */
export type SignedOutNotice = { readonly kind: 'idle'; readonly minutes: number } | { readonly kind: 'elsewhere' };

export function SignIn({ station, notice, onSignedIn }: { readonly station: StationApi; readonly notice: SignedOutNotice | null; readonly onSignedIn: (session: Session) => void }) {
  const { t } = useTranslation();
  const [id, setId] = useState('');
  const [pin, setPin] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ShownError | null>(null);

  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const credentials = { id: id.trim(), pin };
    // The PIN leaves the form with this one call and is not kept.
    setPin('');
    try {
      onSignedIn(await station['session.signIn'](credentials));
    } catch (cause) {
      setError(shownError(cause));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="sign-in">
      <form className="panel sign-in-panel" onSubmit={submit} aria-labelledby="sign-in-heading">
        <h2 id="sign-in-heading">{t('signIn.title')}</h2>
        {notice !== null && (
          <p className="notice" role="status">
            {notice.kind === 'idle' ? t('signIn.locked', { count: notice.minutes }) : t('signIn.signedOutElsewhere')}
          </p>
        )}
        <label className="field">
          <span>{t('signIn.operatorId')}</span>
          <input value={id} onChange={(event) => setId(event.target.value)} autoComplete="username" autoFocus required maxLength={64} />
        </label>
        <label className="field">
          <span>{t('signIn.pin')}</span>
          <input value={pin} onChange={(event) => setPin(event.target.value)} type="password" inputMode="numeric" autoComplete="current-password" required maxLength={64} />
        </label>
        <ErrorText error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? t('signIn.checking') : t('signIn.submit')}
        </button>
      </form>
    </main>
  );
}
