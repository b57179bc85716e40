// The station's label printer: shown to everyone; an admin sets its address (tcp://, cups:, file:),
// format and template (one the station loaded), removes it, and asks the printer's state now.
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { LabelStatus, StationApi, StationSettingsView } from '../../../../shared/api.ts';
import { LABEL_FORMATS, type LabelFormat } from '../../../../shared/labels.ts';
import { displaySafe } from '../../../../shared/untrusted.ts';
import { PrinterBadge, usePrinterStatus } from '../../components/Labels.tsx';
import { ErrorText, StateBadge } from '../../components/StateBadge.tsx';
import { useAction } from './use-action.ts';

interface LabelPrinterProps {
  readonly station: StationApi;
  readonly settings: StationSettingsView | null;
  readonly canEdit: boolean;
  readonly onSaved: (settings: StationSettingsView) => void;
}

export function LabelPrinter({ station, settings, canEdit, onSaved }: LabelPrinterProps) {
  const { t } = useTranslation();
  const polled = usePrinterStatus(station);
  const [tested, setTested] = useState<LabelStatus | null>(null);
  const status = tested ?? polled;
  const action = useAction();
  const test = async (): Promise<void> => {
    const answer = await action.run(() => station['labels.status'](undefined));
    if (answer) setTested(answer);
  };
  return (
    <section className="panel" aria-labelledby="printers-heading">
      <h3 id="printers-heading">{t('settings.printers')}</h3>
      <p data-testid="printer-state">
        <PrinterBadge status={status} />
      </p>
      {status?.status && (
        <p className="hint" data-station-words>
          {displaySafe(status.status.detail, 300)}
        </p>
      )}
      {status?.printer && (
        <dl className="facts">
          <dt>{t('settings.printerAddress')}</dt>
          <dd className="mono">{displaySafe(status.printer.address, 200)}</dd>
          <dt>{t('settings.printerFormat')}</dt>
          <dd>{status.printer.format.toUpperCase()}</dd>
          <dt>{t('settings.printerTemplate')}</dt>
          <dd>{status.printer.template}</dd>
        </dl>
      )}
      <button type="button" disabled={action.busy} onClick={() => void test()}>
        {t('settings.testPrinter')}
      </button>
      <ErrorText error={action.error} />
      {canEdit && settings ? (
        <PrinterForm
          station={station}
          settings={settings}
          onSaved={(saved) => {
            onSaved(saved);
            void test();
          }}
        />
      ) : (
        <p className="hint">{t('settings.printerRoles')}</p>
      )}
    </section>
  );
}

function PrinterForm({ station, settings, onSaved }: { readonly station: StationApi; readonly settings: StationSettingsView; readonly onSaved: (settings: StationSettingsView) => void }) {
  const { t } = useTranslation();
  const { printer, templates, warning } = settings.labels;
  const [address, setAddress] = useState(printer?.address ?? '');
  const [format, setFormat] = useState<LabelFormat>(printer?.format ?? 'zpl');
  const [template, setTemplate] = useState(printer?.template ?? templates[0] ?? '');
  const [done, setDone] = useState<string | null>(null);
  const action = useAction();
  const save = async (next: { address: string; format: LabelFormat; template: string } | null): Promise<void> => {
    setDone(null);
    const saved = await action.run(() => station['settings.labelPrinter']({ printer: next }));
    if (!saved) return;
    setDone(next ? t('settings.printerSaved') : t('settings.printerRemoved'));
    onSaved(saved);
  };
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    void save({ address: address.trim(), format, template });
  };
  return (
    <form aria-label={t('settings.setPrinter')} onSubmit={submit}>
      <label className="field">
        <span>{t('settings.printerAddress')}</span>
        <input className="mono" value={address} maxLength={4096} placeholder={t('settings.printerAddressHint')} required onChange={(event) => setAddress(event.target.value)} />
      </label>
      <div className="inline-form">
        <label className="field">
          <span>{t('settings.printerFormat')}</span>
          <select value={format} onChange={(event) => setFormat(event.target.value as LabelFormat)}>
            {LABEL_FORMATS.map((value) => (
              <option key={value} value={value}>
                {t(`labelFormats.${value}`)}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{t('settings.printerTemplate')}</span>
          <select value={template} required onChange={(event) => setTemplate(event.target.value)}>
            {templates.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
      </div>
      {warning && (
        <p data-station-words>
          <StateBadge tone="attention" label={warning} />
        </p>
      )}
      <div className="inline-form">
        <button type="submit" className="primary" disabled={action.busy || templates.length === 0}>
          {t('settings.savePrinter')}
        </button>
        {printer && (
          <button type="button" disabled={action.busy} onClick={() => void save(null)}>
            {t('settings.removePrinter')}
          </button>
        )}
      </div>
      <ErrorText error={action.error} />
      {done && <p role="status">{done}</p>}
    </form>
  );
}
