// Operators, for admins only (main refuses everyone else): the list, and adding, disabling, enabling
// again, unlocking, changing the role of and resetting the PIN of operators, with the journal of those changes. The records
// authorise each change by the signed-in admin's own PIN, typed again here and cleared as it is sent;
// a wrong one counts towards the admin's lock-out. In a depot that manages the operators, main makes
// the change at the depot (online only) and says so when it cannot.
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { OperatorChange, OperatorResetPinRequest, StationApi } from '../../../../shared/api.ts';
import { ROLES, type OperatorSummary, type Role } from '../../../../shared/records.ts';
import { ErrorText, StateBadge } from '../../components/StateBadge.tsx';
import { formatDateTime } from '../../format.ts';
import { NewPinFields, pinsDiffer } from './NewPinFields.tsx';
import { OperatorChanges } from './OperatorChanges.tsx';
import { ResetPin } from './ResetPin.tsx';
import { useAction } from './use-action.ts';

const EMPTY_OPERATOR = { id: '', displayName: '', role: 'technician' as Role, pin: '', pinRepeat: '' };

export function Operators({ station, atDepot }: { readonly station: StationApi; readonly atDepot: boolean }) {
  const { t } = useTranslation();
  const [operators, setOperators] = useState<OperatorSummary[] | null>(null);
  const [adminPin, setAdminPin] = useState('');
  const [changes, setChanges] = useState<OperatorChange[] | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [resetting, setResetting] = useState<OperatorSummary | null>(null);
  const action = useAction();
  const { run } = action;
  /** The list and the journal as the records hold them now. */
  const fetchOperators = useCallback(() => run(() => Promise.all([station['operators.list'](undefined), station['operators.changes']({})])), [station, run]);
  const show = (fetched: [OperatorSummary[], OperatorChange[]] | null): void => {
    if (!fetched) return;
    setOperators(fetched[0]);
    setChanges(fetched[1]);
  };
  useEffect(() => {
    void fetchOperators().then(show);
  }, [fetchOperators]);

  /** Runs one admin change, then shows the list as the records hold it. */
  const apply = async (call: () => Promise<OperatorSummary>, message: (operator: OperatorSummary) => string): Promise<boolean> => {
    setDone(null);
    const changed = await run(call);
    if (!changed) return false;
    setDone(message(changed));
    show(await fetchOperators());
    return true;
  };
  /** A change confirmed by the PIN typed above, which is cleared as it is sent. */
  const change = (call: (pin: string) => Promise<OperatorSummary>, message: (operator: OperatorSummary) => string): Promise<boolean> => {
    const pin = adminPin;
    setAdminPin('');
    return apply(() => call(pin), message);
  };
  const resetPin = (request: OperatorResetPinRequest): Promise<boolean> =>
    apply(() => station['operators.resetPin'](request), (changed) => t('settings.pinResetDone', { id: changed.id }));

  return (
    <section className="panel wide" aria-labelledby="operators-heading">
      <h3 id="operators-heading">{t('settings.operators')}</h3>
      <label className="field">
        <span>{t('settings.adminPin')}</span>
        <input type="password" inputMode="numeric" autoComplete="off" value={adminPin} maxLength={64} onChange={(event) => setAdminPin(event.target.value)} />
      </label>
      <p className="hint">{t('settings.adminPinHint')}</p>
      {atDepot && <p className="hint">{t('settings.operatorsAtDepot')}</p>}
      <ErrorText error={action.error} />
      {done && <p role="status">{done}</p>}
      {operators && (
        <table aria-labelledby="operators-heading">
          <thead>
            <tr>
              <th scope="col">{t('settings.operatorId')}</th>
              <th scope="col">{t('settings.operatorName')}</th>
              <th scope="col">{t('settings.role')}</th>
              <th scope="col">{t('settings.state')}</th>
              <th scope="col">{t('settings.created')}</th>
              <th scope="col">{t('settings.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {operators.map((operator) => (
              <tr key={operator.id}>
                <td className="mono">{operator.id}</td>
                <td>{operator.displayName}</td>
                <td>{t(`roles.${operator.role}`)}</td>
                <td>
                  {operator.disabledAt ? (
                    <StateBadge tone="normal" icon="⊘" label={t('settings.disabled')} />
                  ) : operator.lockedAt ? (
                    <StateBadge tone="attention" label={t('settings.lockedOut')} />
                  ) : (
                    <StateBadge tone="done" label={t('settings.active')} />
                  )}
                </td>
                <td>{formatDateTime(operator.createdAt)}</td>
                <td>
                  {operator.lockedAt && !operator.disabledAt && (
                    <button
                      type="button"
                      aria-label={t('settings.unlockOperator', { id: operator.id })}
                      disabled={action.busy || adminPin === ''}
                      onClick={() => void change((pin) => station['operators.unlock']({ adminPin: pin, id: operator.id }), (changed) => t('settings.unlocked', { id: changed.id }))}
                    >
                      {t('settings.unlock')}
                    </button>
                  )}{' '}
                  {operator.disabledAt ? (
                    <button
                      type="button"
                      aria-label={t('settings.enableOperator', { id: operator.id })}
                      disabled={action.busy || adminPin === ''}
                      onClick={() => void change((pin) => station['operators.enable']({ adminPin: pin, id: operator.id }), (changed) => t('settings.enabledDone', { id: changed.id }))}
                    >
                      {t('settings.enable')}
                    </button>
                  ) : (
                    <button
                      type="button"
                      className="danger"
                      aria-label={t('settings.disableOperator', { id: operator.id })}
                      disabled={action.busy || adminPin === ''}
                      onClick={() => void change((pin) => station['operators.disable']({ adminPin: pin, id: operator.id }), (changed) => t('settings.disabledDone', { id: changed.id }))}
                    >
                      {t('settings.disable')}
                    </button>
                  )}{' '}
                  <RoleChange
                    operator={operator}
                    busy={action.busy || adminPin === ''}
                    onChange={(role) =>
                      void change(
                        (pin) => station['operators.setRole']({ adminPin: pin, id: operator.id, role }),
                        (changed) => t('settings.roleChangedDone', { id: changed.id, role: t(`roles.${changed.role}`) }),
                      )
                    }
                  />{' '}
                  <button
                    type="button"
                    aria-label={t('settings.resetPinOperator', { id: operator.id })}
                    disabled={action.busy}
                    onClick={() => setResetting(operator)}
                  >
                    {t('settings.resetPin')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {resetting && <ResetPin operator={resetting} action={action} onReset={resetPin} onClose={() => setResetting(null)} />}
      <AddOperator
        busy={action.busy || adminPin === ''}
        onAdd={(operator) => change((pin) => station['operators.add']({ adminPin: pin, operator }), (added) => t('settings.operatorAdded', { id: added.id, name: added.displayName }))}
      />
      <p className="hint">{t('settings.operatorsHint')}</p>
      {changes && <OperatorChanges changes={changes} />}
    </section>
  );
}

/** Another role for one operator: picked, then sent with the admin's PIN; the station keeps its last admin. */
function RoleChange({ operator, busy, onChange }: { readonly operator: OperatorSummary; readonly busy: boolean; readonly onChange: (role: Role) => void }) {
  const { t } = useTranslation();
  const [role, setRole] = useState<Role>(operator.role);
  return (
    <span className="role-change">
      <select aria-label={t('settings.roleOfOperator', { id: operator.id })} value={role} onChange={(event) => setRole(event.target.value as Role)}>
        {ROLES.map((choice) => (
          <option key={choice} value={choice}>
            {t(`roles.${choice}`)}
          </option>
        ))}
      </select>{' '}
      <button type="button" aria-label={t('settings.changeRoleOperator', { id: operator.id })} disabled={busy || role === operator.role} onClick={() => onChange(role)}>
        {t('settings.changeRole')}
      </button>
    </span>
  );
}

function AddOperator({ busy, onAdd }: { readonly busy: boolean; readonly onAdd: (operator: typeof EMPTY_OPERATOR) => Promise<boolean> }) {
  const { t } = useTranslation();
  const [operator, setOperator] = useState(EMPTY_OPERATOR);
  const edit = (change: Partial<typeof EMPTY_OPERATOR>): void => setOperator((current) => ({ ...current, ...change }));
  const mismatch = pinsDiffer(operator);
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (mismatch) return;
    // The new PINs leave the form with this call, whatever its answer.
    const sent = operator;
    setOperator((current) => ({ ...current, pin: '', pinRepeat: '' }));
    if (await onAdd(sent)) setOperator(EMPTY_OPERATOR);
  };
  return (
    <form aria-labelledby="add-operator-heading" onSubmit={(event) => void submit(event)}>
      <h4 id="add-operator-heading">{t('settings.addOperator')}</h4>
      <div className="inline-form">
        <label className="field">
          <span>{t('settings.operatorId')}</span>
          <input className="mono" value={operator.id} maxLength={32} required autoComplete="off" onChange={(event) => edit({ id: event.target.value })} />
        </label>
        <label className="field">
          <span>{t('settings.operatorName')}</span>
          <input value={operator.displayName} maxLength={80} required onChange={(event) => edit({ displayName: event.target.value })} />
        </label>
        <label className="field">
          <span>{t('settings.role')}</span>
          <select value={operator.role} onChange={(event) => edit({ role: event.target.value as Role })}>
            {ROLES.map((role) => (
              <option key={role} value={role}>
                {t(`roles.${role}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className="inline-form">
        <NewPinFields value={operator} labels={{ pin: t('settings.newPin'), repeat: t('settings.newPinRepeat') }} onChange={edit} />
        <button type="submit" className="primary" disabled={busy || mismatch}>
          {t('settings.addOperatorButton')}
        </button>
      </div>
      {mismatch && <p role="alert">{t('settings.pinsDiffer')}</p>}
      <p className="hint">{t('settings.pinRules')}</p>
    </form>
  );
}
