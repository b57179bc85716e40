import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { HandsetDetail as Detail, StationApi } from '../../../shared/api.ts';
import type { HandsetSnapshot, Quarantine } from '../../../shared/pipeline.ts';
import { displaySafe } from '../../../shared/untrusted.ts';
import { Dialog } from '../components/Dialog.tsx';
import { hasNoPrinter, LabelPreview, NoPrinterAction, usePrinterStatus } from '../components/Labels.tsx';
import { ErrorText, StateBadge } from '../components/StateBadge.tsx';
import { StationOriginal } from '../components/StationOriginal.tsx';
import { useReprint } from '../hooks/useReprint.ts';
import { QUARANTINE_ICON } from '../phase.ts';
import { stationText } from '../shown-text.ts';
import { shownError, type ShownError } from '../station-client.ts';
import { Readback, RecordFacts, StepLog } from './RecordView.tsx';

interface HandsetDetailProps {
  readonly station: StationApi;
  readonly serial: string;
  readonly live: HandsetSnapshot | null;
  /** An admin's way to Settings while the station has no printer; null for everyone else. */
  readonly onSetPrinter: (() => void) | null;
  readonly onClose: () => void;
}

/** One handset of the batch: where it sits, its journal with timestamps, its readbacks and its record. */
export function HandsetDetail({ station, serial, live, onSetPrinter, onClose }: HandsetDetailProps) {
  const { t } = useTranslation();
  const printer = usePrinterStatus(station);
  const [detail, setDetail] = useState<Detail | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
  // The live slot while the handset is on the grid; where it was identified once it has left.
  const slot = live?.slot ?? detail?.identity['slot'];
  const changed = `${live?.phase}|${live?.step}|${live?.recordSeq}`;
  useEffect(() => {
    let current = true;
    station['handset.detail']({ serial }).then(
      (value) => current && setDetail(value),
      (cause: unknown) => current && setError(shownError(cause)),
    );
    return () => {
      current = false;
    };
  }, [station, serial, changed]);
  return (
    <Dialog title={t('detail.title', { serial: displaySafe(serial, 64) })} onClose={onClose} wide>
      <div className="detail-body" data-testid="handset-detail">
        <dl className="facts">
          <dt>{t('detail.slotPath')}</dt>
          <dd className="mono">{slot === null || slot === undefined ? '—' : displaySafe(slot, 80)}</dd>
          <dt>{t('detail.profile')}</dt>
          <dd>{live?.profile ? displaySafe(live.profile, 64) : '—'}</dd>
        </dl>
        {live?.quarantine && <QuarantineFacts quarantine={live.quarantine} />}
        <ErrorText error={error} />
        {detail && (
          <>
            <Readback title={t('detail.identityBefore')} values={detail.identity} />
            {detail.record ? <RecordFacts record={detail.record} /> : <p className="hint">{t('detail.noRecord')}</p>}
            <h4>{t('detail.stepLog')}</h4>
            <StepLog events={detail.events} />
          </>
        )}
        {detail?.record?.outcome === 'provisioned' && (
          <section aria-labelledby="label-heading">
            <h4 id="label-heading">{t('labels.label')}</h4>
            <LabelPreview station={station} request={{ kind: 'handset', serial }} />
            {printer && (hasNoPrinter(printer) ? <NoPrinterAction onSetPrinter={onSetPrinter} /> : <Reprint station={station} serial={serial} />)}
          </section>
        )}
      </div>
      <div className="dialog-actions">
        <button type="button" onClick={onClose}>
          {t('common.close')}
        </button>
      </div>
    </Dialog>
  );
}

/** The alarm that put the handset in quarantine, above everything else the detail shows. */
function QuarantineFacts({ quarantine }: { readonly quarantine: Quarantine }) {
  const { t, i18n } = useTranslation();
  const known = i18n.exists(`failure.${quarantine.code}.what`);
  return (
    <section className="quarantine-facts" aria-labelledby="quarantine-heading">
      <h4 id="quarantine-heading">{t('quarantine.detailHeading')}</h4>
      <p>
        <StateBadge tone="alarm" icon={QUARANTINE_ICON} label={t('quarantine.state')} />
      </p>
      <p>
        <strong>{known ? t(`failure.${quarantine.code}.what`) : stationText(quarantine.message)}</strong> <span className="code">{quarantine.code}</span>
        {quarantine.step && <> · {t('quarantine.raisedAt', { step: t(`steps.${quarantine.step}`) })}</>}
      </p>
      {/* The alarm's finding as journaled, in the station's English: behind the disclosure in another language. */}
      {known && (
        <p className="wrap">
          <StationOriginal text={quarantine.message} />
        </p>
      )}
      <p>{t('quarantine.action')}</p>
    </section>
  );
}

/** Prints the handset's label again; the reason goes into the records with the job. */
function Reprint({ station, serial }: { readonly station: StationApi; readonly serial: string }) {
  const { t } = useTranslation();
  const { reason, setReason, sentTo, error, submit } = useReprint(station, serial);
  return (
    <form className="inline-form" onSubmit={submit}>
      <label className="field grow">
        <span>{t('labels.reprintReason')}</span>
        <input value={reason} onChange={(event) => setReason(event.target.value)} required maxLength={200} />
      </label>
      <button type="submit">{t('labels.reprint')}</button>
      {sentTo !== null && (
        <p role="status">
          <StateBadge tone="done" label={t('labels.reprinted', { printer: displaySafe(sentTo, 80) })} />
        </p>
      )}
      <ErrorText error={error} />
    </form>
  );
}
