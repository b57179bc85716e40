// The records' journal of admin changes to the operators, newest first: when, whom, what and by whom
// (in a depot, the depot's changes too, marked as made there).
import { useTranslation } from 'react-i18next';
import type { OperatorChange } from '../../../../shared/api.ts';
import { formatDateTime } from '../../format.ts';

export function OperatorChanges({ changes }: { readonly changes: readonly OperatorChange[] }) {
  const { t } = useTranslation();
  return (
    <>
      <h4 id="operator-changes-heading">{t('settings.changes')}</h4>
      {changes.length === 0 ? (
        <p className="hint">{t('settings.changesNone')}</p>
      ) : (
        <table aria-labelledby="operator-changes-heading">
          <thead>
            <tr>
              <th scope="col">{t('settings.changeTime')}</th>
              <th scope="col">{t('settings.changeOperator')}</th>
              <th scope="col">{t('settings.changeWhat')}</th>
              <th scope="col">{t('settings.changeBy')}</th>
            </tr>
          </thead>
          <tbody>
            {changes.map((change) => (
              <tr key={`${change.madeAt}-${change.id}`}>
                <td>{formatDateTime(change.at)}</td>
                <td className="mono">{change.operatorId}</td>
                <td>{t(`settings.change.${change.change}`)}</td>
                <td className="mono">{change.madeAt === 'depot' ? t('settings.changeByAtDepot', { by: change.byId }) : change.byId}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
