import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { BatchStatus, BundleOverview, BundleProgress, StationApi } from '../../../shared/api.ts';
import { formatTag, parseTagPattern } from '../../../shared/asset-tag.ts';
import { displaySafe } from '../../../shared/untrusted.ts';
import { ChoosePath } from '../components/ChoosePath.tsx';
import { LabelPreview, PrinterBadge, usePrinterStatus } from '../components/Labels.tsx';
import { PolicyText } from '../components/Policy.tsx';
import { ProgressBar } from '../components/ProgressBar.tsx';
import { ErrorText, StateBadge } from '../components/StateBadge.tsx';
import { formatMegabytes } from '../format.ts';
import { shownError, type ShownError } from '../station-client.ts';

const DEFAULT_TAG_PATTERN = 'LS-{yyyy}-{seq:06}';

export function BatchSetup({ station, onStarted }: { readonly station: StationApi; readonly onStarted: (status: BatchStatus) => void }) {
  const { t } = useTranslation();
  const [bundlePath, setBundlePath] = useState('');
  const [overview, setOverview] = useState<BundleOverview | null>(null);
  const [progress, setProgress] = useState<BundleProgress | null>(null);
  const [busy, setBusy] = useState<'verify' | 'start' | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
  const [tagPattern, setTagPattern] = useState(DEFAULT_TAG_PATTERN);
  const [expected, setExpected] = useState(4);
  const [parallel, setParallel] = useState(4);
  const printer = usePrinterStatus(station);

  useEffect(() => (busy ? station.subscribe('bundle.progress', setProgress) : undefined), [station, busy]);
  // In demo mode the demo bundle is offered ready to verify, unless the operator has typed something already.
  useEffect(() => {
    let current = true;
    station['station.info'](undefined).then(
      ({ demoBundlePath }) => {
        if (current && demoBundlePath !== null) setBundlePath((typed) => (typed === '' ? demoBundlePath : typed));
      },
      (cause: unknown) => current && setError(shownError(cause)),
    );
    return () => {
      current = false;
    };
  }, [station]);

  const tag = useMemo((): { readonly problem: string } | { readonly example: string } | null => {
    if (tagPattern.trim() === '') return null;
    const parsed = parseTagPattern(tagPattern);
    return 'problem' in parsed ? { problem: parsed.problem } : { example: formatTag(parsed, new Date(), 1) };
  }, [tagPattern]);

  const run = async (what: 'verify' | 'start'): Promise<void> => {
    setBusy(what);
    setError(null);
    setProgress(null);
    try {
      if (what === 'verify') {
        setOverview(null);
        setOverview(await station['bundle.verify']({ bundlePath: bundlePath.trim() }));
      } else {
        onStarted(await station['batch.start']({ bundlePath: bundlePath.trim(), expectedCount: expected, parallel, assetTagPattern: tagPattern.trim() === '' ? null : tagPattern.trim() }));
      }
    } catch (cause) {
      setError(shownError(cause));
    } finally {
      setBusy(null);
    }
  };

  const canStart = overview !== null && busy === null && !(tag && 'problem' in tag) && expected >= 1;
  return (
    <main className="setup" aria-labelledby="setup-heading">
      <h2 id="setup-heading">{t('setup.title')}</h2>
      <div className="setup-columns">
        <section className="panel" aria-labelledby="bundle-heading">
          <h3 id="bundle-heading">{t('setup.bundle')}</h3>
          <form
            className="inline-form"
            onSubmit={(event) => {
              event.preventDefault();
              void run('verify');
            }}
          >
            <label className="field grow">
              <span>{t('setup.bundlePath')}</span>
              <input value={bundlePath} onChange={(event) => setBundlePath(event.target.value)} required maxLength={4096} placeholder={t('setup.bundlePathHint')} />
            </label>
            <ChoosePath
              label={t('shell.chooseFolder')}
              name={t('shell.chooseBundleDir')}
              pick={() => ({ open: { kind: 'bundle-dir', title: t('setup.bundle') } })}
              onChosen={setBundlePath}
            />
            <ChoosePath
              label={t('shell.chooseZip')}
              name={t('shell.chooseBundleZip')}
              pick={() => ({ open: { kind: 'bundle-zip', title: t('setup.bundle') } })}
              onChosen={setBundlePath}
            />
            <button type="submit" disabled={busy !== null || bundlePath.trim() === ''}>
              {t('setup.verify')}
            </button>
          </form>
          {busy !== null && (
            <div className="verify-progress" role="status">
              <StateBadge tone="active" label={busy === 'verify' ? t('setup.verifying') : t('setup.starting')} />
              {progress && (
                <>
                  <ProgressBar done={progress.overallDone} total={progress.overallTotal} label={t('setup.verifyProgress')} />
                  <span className="hint">
                    {t('setup.progressText', { partition: displaySafe(progress.partition, 64), done: formatMegabytes(progress.overallDone), total: formatMegabytes(progress.overallTotal) })}
                  </span>
                </>
              )}
            </div>
          )}
          <ErrorText error={error} />
          {overview && <BundleFacts overview={overview} />}
        </section>
        <section className="panel" aria-labelledby="batch-heading">
          <h3 id="batch-heading">{t('setup.batch')}</h3>
          <label className="field">
            <span>{t('setup.tagPattern')}</span>
            <input value={tagPattern} onChange={(event) => setTagPattern(event.target.value)} maxLength={64} />
          </label>
          <p className="hint" aria-live="polite">
            {tag === null ? t('setup.noTags') : 'problem' in tag ? <StateBadge tone="alarm" label={tag.problem} /> : t('setup.tagExample', { tag: tag.example })}
          </p>
          <label className="field">
            <span>{t('setup.expected')}</span>
            <input type="number" min={1} max={100000} value={expected} onChange={(event) => setExpected(Math.max(1, Math.floor(Number(event.target.value) || 1)))} />
          </label>
          <label className="field">
            <span>{t('setup.parallel')}</span>
            <input type="number" min={1} max={64} value={parallel} onChange={(event) => setParallel(Math.min(64, Math.max(1, Math.floor(Number(event.target.value) || 1))))} />
          </label>
          <h4>{t('labels.printer')}</h4>
          <PrinterBadge status={printer} />
          {overview && tag && 'example' in tag ? (
            <LabelPreview station={station} request={{ kind: 'batch', batch: { assetTagPattern: tagPattern.trim(), product: overview.products[0] ?? '', bundleVersion: overview.version } }} />
          ) : (
            <p className="hint">{overview ? t('labels.needsTag') : t('labels.afterVerify')}</p>
          )}
          <button type="button" className="primary large" disabled={!canStart} onClick={() => void run('start')}>
            {t('setup.start')}
          </button>
          {overview === null && <p className="hint">{t('setup.verifyFirst')}</p>}
        </section>
      </div>
    </main>
  );
}

function BundleFacts({ overview }: { readonly overview: BundleOverview }) {
  const { t } = useTranslation();
  const revisions = overview.hardwareRevisions === 'any' ? t('setup.anyRevision') : overview.hardwareRevisions.map((revision) => displaySafe(revision, 32)).join(', ');
  return (
    <div className="bundle-facts" data-testid="bundle-facts">
      <StateBadge tone="done" label={t('setup.verified')} />
      {overview.signer.demo && <StateBadge tone="attention" label={t('setup.demoKey')} />}
      <dl className="facts">
        <dt>{t('setup.product')}</dt>
        <dd>{overview.products.join(', ')}</dd>
        <dt>{t('setup.revisions')}</dt>
        <dd>{revisions}</dd>
        <dt>{t('setup.version')}</dt>
        <dd>
          {overview.version} ({overview.buildId})
        </dd>
        <dt>{t('setup.signer')}</dt>
        {/* The demo key's label is the station's English; the badge above says the same in the operator's words. */}
        <dd>{overview.signer.demo ? t('settings.demoKey') : displaySafe(overview.signer.label, 120)}</dd>
        <dt>{t('setup.profile')}</dt>
        <dd>{overview.profiles.length === 0 ? <StateBadge tone="alarm" label={t('setup.noProfile')} /> : overview.profiles.map((profile) => `${profile.name} (${profile.id})`).join(', ')}</dd>
        <dt>{t('setup.images')}</dt>
        <dd>{overview.partitions.map((partition) => `${partition.name} ${formatMegabytes(partition.size)}`).join(', ')}</dd>
        <dt>{t('setup.policy')}</dt>
        <dd>
          <PolicyText fuses={overview.policy.fuses} lockBootloader={overview.policy.lockBootloader} />
        </dd>
      </dl>
    </div>
  );
}
