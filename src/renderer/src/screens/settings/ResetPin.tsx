// An admin gives an operator a new PIN: the admin's own PIN confirms it (as for every change to the
// operators) and the new one is typed twice. Every PIN leaves the form with the call, whatever its
// answer; a refusal is shown here, in the dialog, so the admin can type them again.
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { OperatorResetPinRequest } from '../../../../shared/api.ts';
import type { OperatorSummary } from '../../../../shared/records.ts';
import { Dialog } from '../../components/Dialog.tsx';
import { ErrorText } from '../../components/StateBadge.tsx';
import { NewPinFields, pinsDiffer } from './NewPinFields.tsx';
import type { Action } from './use-action.ts';

const EMPTY = { adminPin: '', pin: '', pinRepeat: '' };

export function ResetPin({
  operator,
  action,
  onReset,
  onClose,
}: {
  readonly operator: OperatorSummary;
  readonly action: Action;
  readonly onReset: (request: OperatorResetPinRequest) => Promise<boolean>;
  readonly onClose: () => void;
}) {
  const { t } = useTranslation();
  const [pins, setPins] = useState(EMPTY);
  const [tried, setTried] = useState(false);
  const mismatch = pinsDiffer(pins);
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (mismatch) return;
    const sent = { ...pins, id: operator.id };
    setPins(EMPTY);
    setTried(true);
    if (await onReset(sent)) onClose();
  };
  return (
    <Dialog title={t('settings.resetPinTitle', { id: operator.id })} onClose={onClose}>
      <form onSubmit={(event) => void submit(event)}>
        <p className="hint">{t('settings.resetPinHint')}</p>
        <label className="field">
          <span>{t('settings.adminPin')}</span>
          <input type="password" inputMode="numeric" autoComplete="off" value={pins.adminPin} maxLength={64} required onChange={(event) => setPins({ ...pins, adminPin: event.target.value })} />
        </label>
        <NewPinFields value={pins} labels={{ pin: t('settings.resetPinNew'), repeat: t('settings.resetPinRepeat') }} onChange={(change) => setPins({ ...pins, ...change })} />
        {mismatch && <p role="alert">{t('settings.pinsDiffer')}</p>}
        <p className="hint">{t('settings.pinRules')}</p>
        {tried && <ErrorText error={action.error} />}
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="primary" disabled={action.busy || mismatch}>
            {t('settings.resetPinButton')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
