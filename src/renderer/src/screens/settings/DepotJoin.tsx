// Joining the station to its depot (issue 21 #2), for admins: the credentials file the depot's
// administrator made for this station, picked with the window's file dialog or typed, then the same
// join as `lockstep depot join` (the station's journal uploaded). The header's depot state follows.
// Then, and whenever a station in a depot opens Settings, its own operators against the depot's:
// those offered and those that clash (DepotOperatorOffer), read from the depot.
import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { DepotJoined, StationApi } from '../../../../shared/api.ts';
import type { OperatorOffer } from '../../../../shared/depot.ts';
import { ChoosePath } from '../../components/ChoosePath.tsx';
import { ErrorText, StateBadge } from '../../components/StateBadge.tsx';
import { formatNumber } from '../../format.ts';
import { DepotOperatorOffer } from './DepotOperatorOffer.tsx';
import { useAction } from './use-action.ts';

export function DepotJoin({ station }: { readonly station: StationApi }) {
  const { t } = useTranslation();
  const [path, setPath] = useState('');
  const [joined, setJoined] = useState<DepotJoined | null>(null);
  const [offer, setOffer] = useState<OperatorOffer | null>(null);
  const action = useAction();
  const offerAction = useAction();
  const { run: runOffer } = offerAction;
  useEffect(() => {
    // A station in no depot answers null: nothing to show until it joins.
    void runOffer(() => station['depot.operatorOffer'](undefined)).then((read) => read && setOffer(read));
  }, [station, runOffer]);
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setJoined(null);
    const answer = await action.run(() => station['depot.join']({ credentialsPath: path.trim() }));
    setJoined(answer);
    if (answer) setOffer(answer.operators);
  };
  return (
    <section className="panel" aria-labelledby="depot-join-heading">
      <h3 id="depot-join-heading">{t('settings.depot')}</h3>
      <p className="hint">{t('settings.depotHint')}</p>
      <form className="inline-form" onSubmit={submit} aria-label={t('settings.depotJoin')}>
        <label className="field grow">
          <span>{t('settings.depotCredentials')}</span>
          <input value={path} onChange={(event) => setPath(event.target.value)} required maxLength={4096} placeholder={t('settings.depotCredentialsHint')} />
        </label>
        <ChoosePath
          label={t('shell.choose')}
          name={t('shell.chooseDepotCredentials')}
          pick={() => ({ open: { kind: 'depot-credentials', title: t('shell.chooseDepotCredentials') } })}
          onChosen={setPath}
        />
        <button type="submit" disabled={action.busy || path.trim() === ''}>
          {t('settings.depotJoin')}
        </button>
      </form>
      {action.busy && (
        <p role="status">
          <StateBadge tone="active" label={t('settings.depotJoining')} />
        </p>
      )}
      {joined && (
        <p role="status" data-testid="depot-joined">
          <StateBadge tone="done" label={t('settings.depotJoined', { station: joined.station, records: formatNumber(joined.pushed.records) })} />
        </p>
      )}
      <ErrorText error={action.error} />
      {offer ? (
        <DepotOperatorOffer station={station} offer={offer} action={offerAction} onChanged={setOffer} />
      ) : (
        // Reading the offer needs the depot; the header already says when it is offline.
        offerAction.error?.code !== 'DEPOT_OFFLINE' && <ErrorText error={offerAction.error} />
      )}
    </section>
  );
}
