// The labels no printer took: the records keep them as unprinted, and this is where a person sees
// them and sends each one again (with a reason, recorded with the reprint).
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import type { StationApi, UnprintedLabels as UnprintedList, UnprintedLabelView } from '../../../shared/api.ts';
import { displaySafe } from '../../../shared/untrusted.ts';
import { Dialog } from '../components/Dialog.tsx';
import { NoPrinterAction } from '../components/Labels.tsx';
import { ErrorText, StateBadge } from '../components/StateBadge.tsx';
import { useReprint } from '../hooks/useReprint.ts';
import { formatDateTime } from '../format.ts';
import { shownError, type ShownError } from '../station-client.ts';

/** The printer's last answer for the label, in words: never sent, no answer yet, taken, or refused with its reason. */
function lastAnswer(entry: UnprintedLabelView, t: TFunction): string {
  const job = entry.lastJob;
  if (!job) return t('unprinted.neverSent');
  if (!job.outcome) return t('unprinted.noAnswer', { time: formatDateTime(job.requestedAt) });
  const detail = job.outcome.detail === null ? t('unprinted.noDetail') : displaySafe(job.outcome.detail, 200);
  return t(job.outcome.status === 'failed' ? 'unprinted.failed' : 'unprinted.accepted', { time: formatDateTime(job.outcome.at), detail });
}

/** `onSetPrinter`: an admin's way to Settings while there is no printer; null for everyone else. */
export function UnprintedLabels({ station, onSetPrinter }: { readonly station: StationApi; readonly onSetPrinter: (() => void) | null }) {
  const { t } = useTranslation();
  const [answer, setAnswer] = useState<UnprintedList | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
  const [reprinting, setReprinting] = useState<UnprintedLabelView | null>(null);

  /** Counts the readings asked for: closing the reprint dialog reads the list again. */
  const [reads, setReads] = useState(0);
  useEffect(() => {
    let current = true;
    station['labels.unprinted'](undefined).then(
      (value) => {
        if (!current) return;
        setError(null);
        setAnswer(value);
      },
      (cause: unknown) => current && setError(shownError(cause)),
    );
    return () => {
      current = false;
    };
  }, [station, reads]);

  const list = answer?.labels ?? null;
  const canPrint = answer?.printer != null;
  return (
    <section className="panel unprinted" aria-labelledby="unprinted-heading">
      <h3 id="unprinted-heading">{t('unprinted.title', { count: list?.length ?? 0 })}</h3>
      <ErrorText error={error} />
      {list && list.length === 0 && <p className="hint">{t('unprinted.none')}</p>}
      {list && list.length > 0 && !canPrint && (
        <>
          <p className="hint">{t('unprinted.noPrinter')}</p>
          {onSetPrinter && <NoPrinterAction onSetPrinter={onSetPrinter} />}
        </>
      )}
      {list && list.length > 0 && (
        <table className="records" aria-label={t('unprinted.table')}>
          <thead>
            <tr>
              <th scope="col">{t('history.serial')}</th>
              <th scope="col">{t('history.assetTag')}</th>
              <th scope="col">{t('unprinted.lastAnswer')}</th>
              {canPrint && (
                <th scope="col">
                  <span className="visually-hidden">{t('labels.reprint')}</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {list.map((entry) => (
              <tr key={entry.recordSeq}>
                <td>{displaySafe(entry.serial, 64)}</td>
                <td>{displaySafe(entry.assetTag, 64)}</td>
                <td data-station-words>{lastAnswer(entry, t)}</td>
                {canPrint && (
                  <td>
                    <button type="button" onClick={() => setReprinting(entry)} aria-label={t('unprinted.reprintLabel', { serial: displaySafe(entry.serial, 64) })}>
                      {t('labels.reprint')}
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {reprinting && (
        <ReprintDialog
          station={station}
          entry={reprinting}
          onClose={() => {
            setReprinting(null);
            setReads((count) => count + 1);
          }}
        />
      )}
    </section>
  );
}

/** Asks why, then queues the reprint; the list is read again on closing, once the printer has had its say. */
function ReprintDialog({ station, entry, onClose }: { readonly station: StationApi; readonly entry: UnprintedLabelView; readonly onClose: () => void }) {
  const { t } = useTranslation();
  const { reason, setReason, sentTo, error, submit } = useReprint(station, entry.serial);
  return (
    <Dialog title={t('unprinted.reprintTitle', { serial: displaySafe(entry.serial, 64), tag: displaySafe(entry.assetTag, 64) })} onClose={onClose}>
      <form onSubmit={submit}>
        <label className="field">
          <span>{t('labels.reprintReason')}</span>
          <input value={reason} onChange={(event) => setReason(event.target.value)} required maxLength={200} disabled={sentTo !== null} />
        </label>
        {sentTo !== null && (
          <p role="status">
            <StateBadge tone="done" label={t('labels.reprinted', { printer: displaySafe(sentTo, 80) })} />
          </p>
        )}
        <ErrorText error={error} />
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            {sentTo === null ? t('common.cancel') : t('common.close')}
          </button>
          {sentTo === null && <button type="submit">{t('labels.reprint')}</button>}
        </div>
      </form>
    </Dialog>
  );
}
