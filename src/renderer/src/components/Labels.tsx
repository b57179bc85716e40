// The station's label printer and label previews, from the labels subsystem through the station API.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { LabelImage, LabelStatus, StationApi } from '../../../shared/api.ts';
import type { BatchPreviewRequest } from '../../../shared/labels.ts';
import { displaySafe } from '../../../shared/untrusted.ts';
import { shownError, type ShownError } from '../station-client.ts';
import { ErrorText, StateBadge, type Tone } from './StateBadge.tsx';

/** A printer is asked for its state this often while a screen shows it. */
const STATUS_INTERVAL_MS = 30_000;

export function usePrinterStatus(station: StationApi): LabelStatus | null {
  const [status, setStatus] = useState<LabelStatus | null>(null);
  useEffect(() => {
    let current = true;
    const ask = (): void => {
      station['labels.status'](undefined).then(
        (value) => current && setStatus(value),
        () => current && setStatus({ printer: null, status: null }),
      );
    };
    ask();
    const timer = setInterval(ask, STATUS_INTERVAL_MS);
    return () => {
      current = false;
      clearInterval(timer);
    };
  }, [station]);
  return status;
}

export function PrinterBadge({ status }: { readonly status: LabelStatus | null }) {
  const { t } = useTranslation();
  if (!status) return <StateBadge tone="normal" label={t('labels.checking')} />;
  if (!status.printer || !status.status) return <StateBadge tone="normal" icon="⊘" label={t('labels.none')} />;
  const state = status.status;
  const address = displaySafe(state.address, 80);
  const look: Record<typeof state.state, [Tone, string]> = {
    ready: ['done', t('labels.ready', { address })],
    'not-ready': ['attention', t('labels.notReady', { address, problems: state.state === 'not-ready' ? state.problems.map((problem) => t(`printerProblems.${problem}`)).join(', ') : '' })],
    offline: ['alarm', t('labels.offline', { address })],
    unknown: ['normal', t('labels.unknown', { address })],
  };
  const [tone, label] = look[state.state];
  return <StateBadge tone={tone} label={label} />;
}

/**
 * What can be done about labels while the station has no printer (issue 20 #11): an admin is offered the way to
 * Settings (`onSetPrinter`), anyone else is told who sets one. Reprint is not offered: there is nowhere to send it.
 */
export function NoPrinterAction({ onSetPrinter, short }: { readonly onSetPrinter: (() => void) | null; readonly short?: boolean }) {
  const { t } = useTranslation();
  if (onSetPrinter) {
    return (
      <button type="button" onClick={onSetPrinter}>
        {t('noPrinter.setPrinter')}
      </button>
    );
  }
  return <p className="hint">{short ? t('noPrinter.askAdminShort') : t('noPrinter.askAdmin')}</p>;
}

/** Whether the station is known to have no label printer (not while its state is still being asked for). */
export const hasNoPrinter = (status: LabelStatus | null): boolean => status !== null && status.printer === null;

/** Which label to draw: a handset's from its record, or a batch's before it starts. */
export type LabelRequest =
  | { readonly kind: 'handset'; readonly serial: string }
  | { readonly kind: 'batch'; readonly batch: BatchPreviewRequest };

function loadLabel(station: StationApi, request: LabelRequest): Promise<LabelImage> {
  if (request.kind === 'handset') return station['labels.preview']({ serial: request.serial });
  return station['labels.batchPreview'](request.batch);
}

/** A label image from the station, or why there is none. */
export function LabelPreview({ station, request }: { readonly station: StationApi; readonly request: LabelRequest }) {
  const { t } = useTranslation();
  const [image, setImage] = useState<{ readonly key: string; readonly png: string } | null>(null);
  const [error, setError] = useState<{ readonly key: string; readonly error: ShownError } | null>(null);
  // The request by value: a parent's new object for the same label draws nothing again.
  const key = JSON.stringify(request);
  useEffect(() => {
    let current = true;
    loadLabel(station, JSON.parse(key) as LabelRequest).then(
      (value) => current && setImage({ key, png: value.png }),
      (cause: unknown) => current && setError({ key, error: shownError(cause) }),
    );
    return () => {
      current = false;
    };
  }, [station, key]);
  const shown = image?.key === key ? image.png : null;
  const failed = error?.key === key ? error.error : null;
  return (
    <figure className="label-preview" data-testid="label-preview">
      {shown && <img src={`data:image/png;base64,${shown}`} alt={t('labels.previewAlt')} />}
      {!shown && !failed && <figcaption className="hint">{t('labels.rendering')}</figcaption>}
      <ErrorText error={failed} />
    </figure>
  );
}
