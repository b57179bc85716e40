import { useTranslation } from 'react-i18next';
import type { ProvisioningRecord, StepEvent } from '../../../shared/records.ts';
import { displaySafe } from '../../../shared/untrusted.ts';
import { isQuarantine } from '../../../shared/failures.ts';
import { StateBadge } from '../components/StateBadge.tsx';
import { fusesInWords } from '../fuse-words.ts';
import { QUARANTINE_ICON } from '../phase.ts';
import { useCheckTexts } from '../check-texts.ts';
import { StationOriginal } from '../components/StationOriginal.tsx';
import { fuseReadbackText, stepEventText } from '../step-event-words.ts';
import { identityFacts } from '../identity-facts.ts';
import { deviceText, stationText } from '../shown-text.ts';
import { formatDateTime, formatTime } from '../format.ts';


/** A handset's identity readback, under human labels: every value escaped, never markup. */
export function Readback({ title, values }: { readonly title: string; readonly values: Readonly<Record<string, string | null>> }) {
  const { t } = useTranslation();
  const facts = identityFacts(values, t);
  return (
    <section className="readback" aria-label={title}>
      <h4>{title}</h4>
      {facts.length === 0 ? (
        <p className="hint">—</p>
      ) : (
        <dl className="facts">
          {facts.map((fact) => (
            <div key={fact.key} className="fact">
              <dt>{fact.label}</dt>
              <dd>{fact.value}</dd>
            </div>
          ))}
        </dl>
      )}
    </section>
  );
}

/** A record's outcome: provisioned, failed at a step, or quarantined by the alarm it records (its own icon and word). */
export function OutcomeBadge({ record }: { readonly record: ProvisioningRecord }) {
  const { t } = useTranslation();
  if (record.outcome === 'provisioned') return <StateBadge tone="done" label={t('outcome.provisioned')} />;
  const step = record.failedStep ? `: ${t(`steps.${record.failedStep}`)}` : '';
  const code = 'failureCode' in record ? record.failureCode : null;
  return isQuarantine(code) ? (
    <StateBadge tone="alarm" icon={QUARANTINE_ICON} label={`${t('quarantine.outcome')}${step}`} />
  ) : (
    <StateBadge tone="alarm" label={`${t('outcome.failed')}${step}`} />
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
            <td className="wrap">
              <EventWords event={event} />
            </td>
            <td>
              {event.authorisation === null
                ? '—'
                : event.authorisation.authorised
                  ? t('detail.authorisedBy', { id: event.authorisation.authorisationId })
                  : <>{t('detail.notAuthorised')} <StationOriginal text={event.authorisation.reason} limit={200} /></>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function RecordFacts({ record }: { readonly record: ProvisioningRecord }) {
  const { t } = useTranslation();
  const checkTexts = useCheckTexts();
  const evidence = 'evidence' in record ? record.evidence : null;
  const tag = 'assetTag' in record ? record.assetTag : null;
  return (
    <div className="record-facts">
      <section aria-labelledby="record-facts-heading">
        <h4 id="record-facts-heading">{t('detail.recordHeading')}</h4>
        <dl className="facts">
          <dt>{t('detail.outcome')}</dt>
          <dd>
            <OutcomeBadge record={record} />
          </dd>
          <dt>{t('detail.record')}</dt>
          <dd>
            {record.seq} · {formatDateTime(record.recordedAt)}
          </dd>
          <dt>{t('history.assetTag')}</dt>
          <dd>{deviceText(tag)}</dd>
          <dt>{t('history.imei')}</dt>
          <dd>{deviceText(record.imei)}</dd>
          <dt>{t('detail.firmware')}</dt>
          <dd>{deviceText(record.firmwareVersion)}</dd>
          <dt>{t('detail.fusesBurned')}</dt>
          <dd>{record.fusesBurned.length === 0 ? '—' : fusesInWords(record.fusesBurned, t)}</dd>
          {evidence && evidence.fuseWordsBefore.length > 0 && (
            <>
              <dt>{t('detail.fuseWordsBefore')}</dt>
              <dd className="mono">{fuseReadbackText(evidence.fuseWordsBefore)}</dd>
            </>
          )}
          <dt>{t('detail.fuseWordsAfter')}</dt>
          <dd className="mono">{fuseReadbackText(record.fuseReadback)}</dd>
          <dt>{t('detail.locked')}</dt>
          <dd>{record.locked ? t('common.yes') : t('common.no')}</dd>
          {record.outcome === 'failed' && (
            <>
              <dt>{t('detail.failedStep')}</dt>
              <dd>
                {record.failedStep ? t(`steps.${record.failedStep}`) : '—'}: <FailureWords code={'failureCode' in record ? record.failureCode : null} />
                <StationOriginal text={record.failureReason} />
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
      </section>
      {evidence && Object.keys(evidence.identityAfter).length > 0 && <Readback title={t('detail.identityAfter')} values={evidence.identityAfter} />}
      {evidence && evidence.checks.length > 0 && (
        <section aria-label={t('detail.checks')}>
          <h4>{t('detail.checks')}</h4>
          <ul className="checks">
            {evidence.checks.map((check) => (
              <li key={check.id}>
                <StateBadge tone={check.passed ? 'done' : 'alarm'} label={`${checkTexts(null, check.id)?.title ?? deviceText(check.id, 64)}: ${check.passed ? t('detail.checkPassed') : t('detail.checkFailed')}`} />{' '}
                <span className="mono">
                  {displaySafe(check.command, 64)} → {stationText(check.answer, 200)}
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}

/** A failure by its code, in the operator's words where the UI has them; the code beside them either way. */
function FailureWords({ code }: { readonly code: string | null }) {
  const { t } = useTranslation();
  if (code === null) return null;
  const what = t(`failure.${code}.what`, { defaultValue: '' });
  return (
    <>
      {what !== '' && `${what} `}
      <span className="code">{deviceText(code, 64)}</span>
    </>
  );
}

/** A journal entry's detail: its failure by code, or its facts in words, and the station's own text behind them. */
function EventWords({ event }: { readonly event: StepEvent }) {
  const { t } = useTranslation();
  const words = event.code === null ? stepEventText(event, t) : null;
  return (
    <>
      {event.code !== null && <FailureWords code={event.code} />}
      {words}
      {event.code === null && words === null ? <StationOriginal text={event.detail} /> : <StationOriginal text={event.detail} collapsed />}
    </>
  );
}
