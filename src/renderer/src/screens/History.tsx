import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { ExportResult, RecordDetail, RecordList, RecordQuery, StationApi } from '../../../shared/api.ts';
import type { RecordOutcome, VerifyOutcome } from '../../../shared/records.ts';
import { displaySafe } from '../../../shared/untrusted.ts';
import { ChoosePath } from '../components/ChoosePath.tsx';
import { Dialog } from '../components/Dialog.tsx';
import { ErrorText, StateBadge } from '../components/StateBadge.tsx';
import { formatDateTime, formatNumber } from '../format.ts';
import { exportFileName } from '../shell-client.ts';
import { shownError, type ShownError } from '../station-client.ts';
import { StationOriginal } from '../components/StationOriginal.tsx';
import { OutcomeBadge, RecordFacts, StepLog } from './RecordView.tsx';
import { UnprintedLabels } from './UnprintedLabels.tsx';

type Format = 'csv' | 'jsonl' | 'pdf';

/** Records per page: a screenful and more; older ones come a page at a time, searched and paged by the station. */
export const HISTORY_PAGE_SIZE = 50;

export function History({ station, onSetPrinter }: { readonly station: StationApi; readonly onSetPrinter: (() => void) | null }) {
  const { t } = useTranslation();
  const [search, setSearch] = useState('');
  const [status, setStatus] = useState<RecordOutcome | ''>('');
  const [since, setSince] = useState('');
  const [until, setUntil] = useState('');
  const [list, setList] = useState<RecordList | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
  const [open, setOpen] = useState<RecordDetail | null>(null);

  /** The search in force: set on Enter (what a barcode scanner sends), with a count so the same text searches again. */
  const [applied, setApplied] = useState({ text: '', times: 0 });

  const filter = useCallback(
    (): Omit<RecordQuery, 'search' | 'limit'> => ({ ...(status ? { status } : {}), ...(since ? { since } : {}), ...(until ? { until } : {}) }),
    [status, since, until],
  );
  const query = useCallback(
    (): RecordQuery => ({ ...filter(), ...(applied.text ? { search: applied.text } : {}), limit: HISTORY_PAGE_SIZE }),
    [filter, applied],
  );
  /** The query the list on screen answers; an older page asked for under another is dropped. */
  const shownQuery = useRef(query);
  useEffect(() => {
    let current = true;
    shownQuery.current = query;
    station['records.list'](query()).then(
      (value) => {
        if (!current) return;
        setError(null);
        setList(value);
      },
      (cause: unknown) => current && setError(shownError(cause)),
    );
    return () => {
      current = false;
    };
  }, [station, query]);

  const [loadingMore, setLoadingMore] = useState(false);
  const showOlder = async (): Promise<void> => {
    if (!list || list.next === null) return;
    const asked = query;
    setLoadingMore(true);
    try {
      const page = await station['records.list']({ ...asked(), before: list.next });
      if (shownQuery.current !== asked) return;
      setError(null);
      setList((shown) => (shown ? { ...page, records: [...shown.records, ...page.records] } : page));
    } catch (cause) {
      setError(shownError(cause));
    } finally {
      setLoadingMore(false);
    }
  };

  const searchBox = useRef<HTMLInputElement>(null);
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    setApplied((previous) => ({ text: search.trim(), times: previous.times + 1 }));
    // As at a checkout: the text searched for stays in view, selected, so the next scan replaces it.
    searchBox.current?.select();
  };
  const show = async (seq: number): Promise<void> => {
    try {
      setOpen(await station['records.show']({ seq }));
    } catch (cause) {
      setError(shownError(cause));
    }
  };

  return (
    <main className="history" aria-labelledby="history-heading">
      <h2 id="history-heading">{t('history.title')}</h2>
      <div className="panel filters">
        <form role="search" onSubmit={submit} className="inline-form">
          <label className="field grow">
            <span>{t('history.search')}</span>
            <input ref={searchBox} type="search" value={search} onChange={(event) => setSearch(event.target.value)} placeholder={t('history.searchHint')} maxLength={128} autoFocus />
          </label>
          <button type="submit">{t('history.find')}</button>
        </form>
        <div className="inline-form">
          <label className="field">
            <span>{t('history.status')}</span>
            <select value={status} onChange={(event) => setStatus(event.target.value as RecordOutcome | '')}>
              <option value="">{t('history.any')}</option>
              <option value="provisioned">{t('outcome.provisioned')}</option>
              <option value="failed">{t('outcome.failed')}</option>
            </select>
          </label>
          <label className="field">
            <span>{t('history.since')}</span>
            <input type="date" value={since} onChange={(event) => setSince(event.target.value)} />
          </label>
          <label className="field">
            <span>{t('history.until')}</span>
            <input type="date" value={until} onChange={(event) => setUntil(event.target.value)} />
          </label>
        </div>
      </div>
      <ErrorText error={error} />
      {list && (
        <>
          <p className="hint" role="status">
            {t('history.count', { shown: formatNumber(list.records.length), total: formatNumber(list.total) })}
          </p>
          <table className="records" aria-label={t('history.table')}>
            <thead>
              <tr>
                <th scope="col">{t('history.seq')}</th>
                <th scope="col">{t('history.time')}</th>
                <th scope="col">{t('history.serial')}</th>
                <th scope="col">{t('history.imei')}</th>
                <th scope="col">{t('history.assetTag')}</th>
                <th scope="col">{t('history.outcome')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('history.open')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.records.map((record) => (
                <tr key={record.seq}>
                  <td>{record.seq}</td>
                  <td>{formatDateTime(record.recordedAt)}</td>
                  <td>{displaySafe(record.serial, 64)}</td>
                  <td>{record.imei === null ? '—' : displaySafe(record.imei, 32)}</td>
                  <td>{'assetTag' in record && record.assetTag !== null ? displaySafe(record.assetTag, 64) : '—'}</td>
                  <td>
                    <OutcomeBadge record={record} />
                  </td>
                  <td>
                    <button type="button" onClick={() => void show(record.seq)} aria-label={t('history.openRecord', { seq: record.seq })}>
                      {t('history.open')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {list.next === null ? (
            list.records.length > 0 && <p className="hint">{t('history.allShown')}</p>
          ) : (
            <button type="button" onClick={() => void showOlder()} disabled={loadingMore}>
              {t('history.loadMore')}
            </button>
          )}
        </>
      )}
      <UnprintedLabels station={station} onSetPrinter={onSetPrinter} />
      <div className="history-tools">
        <ExportPanel station={station} filter={filter} />
        <VerifyPanel station={station} />
      </div>
      {open && (
        <Dialog title={t('history.recordTitle', { seq: open.record.seq, serial: displaySafe(open.record.serial, 64) })} onClose={() => setOpen(null)} wide>
          <RecordFacts record={open.record} />
          <h4>{t('detail.stepLog')}</h4>
          <StepLog events={open.events} />
          <div className="dialog-actions">
            <button type="button" onClick={() => setOpen(null)}>
              {t('common.close')}
            </button>
          </div>
        </Dialog>
      )}
    </main>
  );
}

/** Export to a path on the station: typed, or filled by the Electron window's save dialog ("Choose…"). */
function ExportPanel({ station, filter }: { readonly station: StationApi; readonly filter: () => Omit<RecordQuery, 'search' | 'limit'> }) {
  const { t } = useTranslation();
  const [format, setFormat] = useState<Format>('csv');
  const [path, setPath] = useState('');
  const [result, setResult] = useState<ExportResult | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setResult(null);
    setError(null);
    try {
      const { batchId, since, until, status } = filter();
      setResult(await station['records.export']({ format, path: path.trim(), filter: { ...(batchId ? { batchId } : {}), ...(since ? { since } : {}), ...(until ? { until } : {}), ...(status ? { status } : {}) } }));
    } catch (cause) {
      setError(shownError(cause));
    }
  };
  return (
    <form className="panel" onSubmit={submit} aria-labelledby="export-heading">
      <h3 id="export-heading">{t('history.export')}</h3>
      <div className="inline-form">
        <label className="field">
          <span>{t('history.format')}</span>
          <select value={format} onChange={(event) => setFormat(event.target.value as Format)}>
            <option value="csv">{t('history.formatCsv')}</option>
            <option value="jsonl">{t('history.formatJsonl')}</option>
            <option value="pdf">{t('history.formatPdf')}</option>
          </select>
        </label>
        <label className="field grow">
          <span>{t('history.exportPath')}</span>
          <input value={path} onChange={(event) => setPath(event.target.value)} required maxLength={4096} />
        </label>
        <ChoosePath
          label={t('shell.choose')}
          name={t('shell.chooseExportPath')}
          pick={() => ({ save: { kind: format, defaultName: exportFileName(format), title: t('history.export') } })}
          onChosen={setPath}
        />
        <button type="submit">{t('history.save')}</button>
      </div>
      {result && (
        <p role="status">
          <StateBadge tone="done" label={t('history.saved', { count: result.records, path: displaySafe(result.path, 200) })} />
        </p>
      )}
      <ErrorText error={error} />
    </form>
  );
}

function VerifyPanel({ station }: { readonly station: StationApi }) {
  const { t } = useTranslation();
  const [path, setPath] = useState('');
  const [outcome, setOutcome] = useState<VerifyOutcome | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
  const submit = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setOutcome(null);
    setError(null);
    try {
      setOutcome(await station['records.verify']({ path: path.trim() }));
    } catch (cause) {
      setError(shownError(cause));
    }
  };
  return (
    <form className="panel" onSubmit={submit} aria-labelledby="verify-heading">
      <h3 id="verify-heading">{t('history.verify')}</h3>
      <p className="hint">{t('history.verifyHint')}</p>
      <div className="inline-form">
        <label className="field grow">
          <span>{t('history.verifyPath')}</span>
          <input value={path} onChange={(event) => setPath(event.target.value)} required maxLength={4096} />
        </label>
        <ChoosePath
          label={t('shell.choose')}
          name={t('shell.chooseVerifyPath')}
          pick={() => ({ open: { kind: 'export', title: t('history.verify') } })}
          onChosen={setPath}
        />
        <button type="submit">{t('history.verifyButton')}</button>
      </div>
      {outcome && (
        <p role="status">
          {outcome.intact ? (
            <StateBadge tone="done" label={t('history.intact', { records: outcome.records, seq: outcome.head.headSeq })} />
          ) : (
            <>
              <StateBadge tone="alarm" label={t('history.notIntact', { line: outcome.line, problem: t(`verifyProblem.${outcome.problem}`) })} />{' '}
              <StationOriginal text={outcome.message} />
            </>
          )}
        </p>
      )}
      <ErrorText error={error} />
    </form>
  );
}
