// The operators this station had before it joined its depot (docs/depot.md, "Operators a station
// already has"), for admins: those the depot lacks, offered to it once the admin confirms with their
// own PIN, and each clash (one id, another person at the depot) with the two resolutions of
// `lockstep depot resolve-operator`: keep the depot's operator, or rename the station's.
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { StationApi } from '../../../../shared/api.ts';
import type { OperatorClash, OperatorOffer } from '../../../../shared/depot.ts';
import { displaySafe } from '../../../../shared/untrusted.ts';
import { ErrorText, StateBadge } from '../../components/StateBadge.tsx';
import type { Action } from './use-action.ts';

interface OfferProps {
  readonly station: StationApi;
  readonly offer: OperatorOffer;
  readonly action: Action;
  readonly onChanged: (offer: OperatorOffer) => void;
}

/** An operator as each side holds it: name and role, and whether the depot disabled it. */
function Person({ person }: { readonly person: OperatorClash['depot'] | OperatorClash['station'] }) {
  const { t } = useTranslation();
  return (
    <>
      {displaySafe(person.displayName, 80)} ({t(`roles.${person.role}`)}
      {'disabled' in person && person.disabled ? `, ${t('settings.depotClashDisabled')}` : ''})
    </>
  );
}

export function DepotOperatorOffer({ station, offer, action, onChanged }: OfferProps) {
  const { t, i18n } = useTranslation();
  const list = new Intl.ListFormat(i18n.language, { type: 'conjunction' });
  const [adminPin, setAdminPin] = useState('');
  const [renames, setRenames] = useState<Readonly<Record<string, string>>>({});
  const [done, setDone] = useState<string | null>(null);
  /** One confirmed change: the PIN typed above goes with it and is cleared as it is sent. */
  const confirm = async (call: (pin: string) => Promise<OperatorOffer>, message: string): Promise<void> => {
    const pin = adminPin;
    setAdminPin('');
    setDone(null);
    const after = await action.run(() => call(pin));
    if (!after) return;
    setDone(message);
    onChanged(after);
  };
  // Offered under the join this comparison was made at: the depot refuses it once the station joined again or the window closed.
  const offerIds = (ids: readonly string[] | null): Promise<void> =>
    confirm(
      (pin) => station['depot.offerOperators']({ adminPin: pin, ids: ids === null ? null : [...ids], joinId: offer.join?.id ?? null }),
      t('settings.depotOfferDone'),
    );
  const keepDepot = (id: string): Promise<void> =>
    confirm((pin) => station['depot.resolveOperator']({ adminPin: pin, id, resolution: 'keep-depot', renameTo: null }), t('settings.depotKeptDepot', { id }));
  const rename = (event: FormEvent, id: string): void => {
    event.preventDefault();
    const newId = (renames[id] ?? '').trim();
    void confirm((pin) => station['depot.resolveOperator']({ adminPin: pin, id, resolution: 'rename', renameTo: newId }), t('settings.depotRenamed', { id, newId }));
  };
  const locked = action.busy || adminPin === '';
  const nothing = offer.offer.length === 0 && offer.clashes.length === 0;
  return (
    // A group, not a region: the Operators panel's region is found by its name, which this one's would contain.
    <div role="group" aria-labelledby="depot-offer-heading" data-testid="depot-operator-offer">
      <h4 id="depot-offer-heading">{t('settings.depotOperators')}</h4>
      {done && (
        <p role="status">
          <StateBadge tone="done" label={done} />
        </p>
      )}
      {nothing ? (
        <p className="hint">{t('settings.depotOperatorsNone')}</p>
      ) : (
        <>
          <p className="hint">{t('settings.depotOperatorsHint')}</p>
          <label className="field">
            <span>{t('settings.adminPin')}</span>
            <input type="password" inputMode="numeric" autoComplete="off" value={adminPin} maxLength={64} onChange={(event) => setAdminPin(event.target.value)} />
          </label>
        </>
      )}
      <ErrorText error={action.error} />
      {offer.offer.length > 0 && (
        <>
          <h5 id="depot-offered-heading">{t('settings.depotOffered')}</h5>
          <table aria-labelledby="depot-offered-heading">
            <thead>
              <tr>
                <th scope="col">{t('settings.operatorId')}</th>
                <th scope="col">{t('settings.operatorName')}</th>
                <th scope="col">{t('settings.role')}</th>
                <th scope="col">{t('settings.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {offer.offer.map((operator) => (
                <tr key={operator.id}>
                  <td className="mono">{operator.id}</td>
                  <td>{displaySafe(operator.displayName, 80)}</td>
                  <td>{t(`roles.${operator.role}`)}</td>
                  <td>
                    <button type="button" aria-label={t('settings.depotOfferOperator', { id: operator.id })} disabled={locked} onClick={() => void offerIds([operator.id])}>
                      {t('settings.depotOffer')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <button type="button" className="primary" disabled={locked} onClick={() => void offerIds(null)}>
            {t('settings.depotOfferAll')}
          </button>
        </>
      )}
      {offer.clashes.length > 0 && (
        <>
          <h5 id="depot-clashes-heading">{t('settings.depotClashes')}</h5>
          <table aria-labelledby="depot-clashes-heading">
            <thead>
              <tr>
                <th scope="col">{t('settings.operatorId')}</th>
                <th scope="col">{t('settings.depotClashStation')}</th>
                <th scope="col">{t('settings.depotClashDepot')}</th>
                <th scope="col">{t('settings.depotClashDiffers')}</th>
                <th scope="col">{t('settings.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {offer.clashes.map((clash) => (
                <tr key={clash.id}>
                  <td className="mono">{clash.id}</td>
                  <td>
                    <Person person={clash.station} />
                  </td>
                  <td>
                    <Person person={clash.depot} />
                  </td>
                  <td>{list.format(clash.differs.map((what) => t(`settings.depotDiffers.${what}`)))}</td>
                  <td>
                    <button type="button" aria-label={t('settings.depotKeepDepotOperator', { id: clash.id })} disabled={locked} onClick={() => void keepDepot(clash.id)}>
                      {t('settings.depotKeepDepot')}
                    </button>
                    <form className="inline-form" aria-label={t('settings.depotRenameOperator', { id: clash.id })} onSubmit={(event) => rename(event, clash.id)}>
                      <label className="field">
                        <span>{t('settings.depotRenameTo', { id: clash.id })}</span>
                        <input
                          className="mono"
                          value={renames[clash.id] ?? ''}
                          maxLength={64}
                          required
                          autoComplete="off"
                          onChange={(event) => setRenames((current) => ({ ...current, [clash.id]: event.target.value }))}
                        />
                      </label>
                      <button type="submit" disabled={locked || (renames[clash.id] ?? '').trim() === ''}>
                        {t('settings.depotRename')}
                      </button>
                    </form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}
