import { useTranslation } from 'react-i18next';
import type { ProvisioningRecord, StepEvent } from '../../../shared/records.ts';
import { displaySafe } from '../../../shared/untrusted.ts';
import { StateBadge } from '../components/StateBadge.tsx';
import { formatDateTime, formatTime } from '../format.ts';

const hex32 = (value: number): string => `0x${value.toString(16).padStart(8, '0')}`;
const shown = (value: string | null | undefined, limit = 200): string => (value === null || value === undefined ? '—' : displaySafe(value, limit));

/** Name/value pairs that came from a handset: every value escaped, never markup. */
export function Readback({ title, values }: { readonly title: string; readonly values: Readonly<Record<string, string | null>> }) {
  const entries = Object.entries(values);
  return (
    <section className="readback" aria-label={title}>
      <h4>{title}</h4>
      {entries.length === 0 ? (
        <p className="hint">—</p>
      ) : (
        <dl className="facts">
          {entries.map(([name, value]) => (
            <div key={name} className="fact">
              <dt>{displaySafe(name, 64)}</dt>
              <dd>{shown(value)}</dd>
            </div>
          ))}
        </dl>
      )}
    </section>
  );
}

export function StepLog({ events }: { readonly events: readonly StepEvent[] }) {
  const { t } = useTranslation();
  return (
    <table className="step-log" aria-label={t('detail.stepLog')}>
      <thead>
        <tr>
          <th scope="col">{t('detail.time')}</th>
          <th scope="col">{t('detail.step')}</th>
          <th scope="col">{t('detail.status')}</th>
          <th scope="col">{t('detail.detail')}</th>
          <th scope="col">{t('detail.authorisation')}</th>
        </tr>
      </thead>
      <tbody>
        {events.map((event) => (
          <tr key={event.id}>
            <td>{formatTime(event.at)}</td>
            <td>{t(`steps.${event.step}`)}</td>
            <td>
              <StateBadge tone={event.status === 'failed' ? 'alarm' : event.status === 'passed' ? 'done' : 'normal'} label={t(`eventStatus.${event.status}`)} />
            </td>
            <td className="wrap" data-station-words>
              {shown(event.detail, 400)}
            </td>
            <td>
              {event.authorisation === null
                ? '—'
                : event.authorisation.authorised
                  ? t('detail.authorisedBy', { id: event.authorisation.authorisationId })
                  : t('detail.notAuthorised', { reason: displaySafe(event.authorisation.reason, 200) })}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function RecordFacts({ record }: { readonly record: ProvisioningRecord }) {
  const { t } = useTranslation();
  const evidence = 'evidence' in record ? record.evidence : null;
  const tag = 'assetTag' in record ? record.assetTag : null;
  return (
    <div className="record-facts">
      <dl className="facts">
        <dt>{t('detail.outcome')}</dt>
        <dd>
          <StateBadge tone={record.outcome === 'provisioned' ? 'done' : 'alarm'} label={t(`outcome.${record.outcome}`)} />
        </dd>
        <dt>{t('detail.record')}</dt>
        <dd>
          {record.seq} · {formatDateTime(record.recordedAt)}
        </dd>
        <dt>{t('history.assetTag')}</dt>
        <dd>{shown(tag)}</dd>
        <dt>{t('history.imei')}</dt>
        <dd>{shown(record.imei)}</dd>
        <dt>{t('detail.firmware')}</dt>
        <dd>{shown(record.firmwareVersion)}</dd>
        <dt>{t('detail.fusesBurned')}</dt>
        <dd>{record.fusesBurned.length === 0 ? '—' : record.fusesBurned.map((fuse) => displaySafe(fuse, 64)).join(', ')}</dd>
        <dt>{t('detail.fuseWords')}</dt>
        <dd>
          {evidence && evidence.fuseWordsBefore.length > 0 && (
            <span>
              {t('detail.before')} {evidence.fuseWordsBefore.map((word) => `${word.bank}/${word.word} ${hex32(word.value)}`).join(', ')} ·{' '}
            </span>
          )}
          {t('detail.after')} {record.fuseReadback.length === 0 ? '—' : record.fuseReadback.map((word) => `${word.bank}/${word.word} ${hex32(word.value)}`).join(', ')}
        </dd>
        <dt>{t('detail.locked')}</dt>
        <dd>{record.locked ? t('common.yes') : t('common.no')}</dd>
        {record.outcome === 'failed' && (
          <>
            <dt>{t('detail.failedStep')}</dt>
            <dd>
              {record.failedStep ? t(`steps.${record.failedStep}`) : '—'}: {'failureCode' in record && record.failureCode ? `[${record.failureCode}] ` : ''}
              {shown(record.failureReason, 400)}
            </dd>
          </>
        )}
        <dt>{t('detail.operator')}</dt>
        <dd>
          {displaySafe(record.operatorId, 64)}
          {evidence?.supervisorId ? ` · ${t('detail.supervisor')} ${displaySafe(evidence.supervisorId, 64)}` : ''}
        </dd>
        <dt>{t('detail.hash')}</dt>
        <dd className="mono" data-testid="record-hash">
          {record.hash}
        </dd>
      </dl>
      {evidence && (
        <>
          <Readback title={t('detail.identityAfter')} values={evidence.identityAfter} />
          <section aria-label={t('detail.checks')}>
            <h4>{t('detail.checks')}</h4>
            <ul className="checks">
              {evidence.checks.map((check) => (
                <li key={check.id}>
                  <StateBadge tone={check.passed ? 'done' : 'alarm'} label={`${displaySafe(check.id, 64)}: ${check.passed ? t('detail.checkPassed') : t('detail.checkFailed')}`} />{' '}
                  <span className="mono">
                    {displaySafe(check.command, 64)} → {displaySafe(check.answer, 200)}
                  </span>
                </li>
              ))}
            </ul>
          </section>
        </>
      )}
    </div>
  );
}
