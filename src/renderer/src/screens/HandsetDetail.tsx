import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { HandsetDetail as Detail, StationApi } from '../../../shared/api.ts';
import type { HandsetSnapshot } from '../../../shared/pipeline.ts';
import { displaySafe } from '../../../shared/untrusted.ts';
import { Dialog } from '../components/Dialog.tsx';
import { LabelsUnavailable } from '../components/LabelsUnavailable.tsx';
import { ErrorText } from '../components/StateBadge.tsx';
import { shownError, type ShownError } from '../station-client.ts';
import { Readback, RecordFacts, StepLog } from './RecordView.tsx';

/** One handset of the batch: where it sits, its journal with timestamps, its readbacks and its record. */
export function HandsetDetail({ station, serial, live, onClose }: { readonly station: StationApi; readonly serial: string; readonly live: HandsetSnapshot | null; readonly onClose: () => void }) {
  const { t } = useTranslation();
  const [detail, setDetail] = useState<Detail | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
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
          <dd className="mono">{live ? displaySafe(live.slot, 80) : '—'}</dd>
          <dt>{t('detail.profile')}</dt>
          <dd>{live?.profile ? displaySafe(live.profile, 64) : '—'}</dd>
        </dl>
        <ErrorText error={error} />
        {detail && (
          <>
            <Readback title={t('detail.identityBefore')} values={detail.identity} />
            {detail.record ? <RecordFacts record={detail.record} /> : <p className="hint">{t('detail.noRecord')}</p>}
            <h4>{t('detail.stepLog')}</h4>
            <StepLog events={detail.events} />
          </>
        )}
        <LabelsUnavailable />
      </div>
      <div className="dialog-actions">
        <button type="button" onClick={onClose}>
          {t('common.close')}
        </button>
      </div>
    </Dialog>
  );
}
