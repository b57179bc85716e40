import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Session, StationApi, StationSettingsView } from '../../../shared/api.ts';
import type { ScanResult } from '../../../shared/types.ts';
import { displaySafe } from '../../../shared/untrusted.ts';
import { ErrorText, StateBadge } from '../components/StateBadge.tsx';
import { StationOriginal } from '../components/StationOriginal.tsx';
import { fusesInWords } from '../fuse-words.ts';
import { chooseLanguage, LANGUAGES, storedLanguage, type Language } from '../i18n/index.ts';
import { THEMES, type Preferences } from '../preferences.ts';
import { shownError, type ShownError } from '../station-client.ts';
import { DepotJoin } from './settings/DepotJoin.tsx';
import { IdleLock } from './settings/IdleLock.tsx';
import { LabelPrinter } from './settings/LabelPrinter.tsx';
import { Operators } from './settings/Operators.tsx';
import { SlotNames } from './settings/SlotNames.tsx';
import { transportStatusText } from '../station-words.ts';

interface SettingsProps {
  readonly station: StationApi;
  readonly session: Session;
  readonly settings: StationSettingsView | null;
  readonly preferences: Preferences;
  readonly onPreferences: (change: Partial<Preferences>) => void;
  /** The settings as the station wrote them after a change here, for the rest of the window (the grid's slot names). */
  readonly onSettings: (settings: StationSettingsView) => void;
}

export function Settings({ station, session, settings: loaded, preferences, onPreferences, onSettings }: SettingsProps) {
  const { t } = useTranslation();
  const [edited, setEdited] = useState<StationSettingsView | null>(null);
  const settings = edited ?? loaded;
  const saved = (next: StationSettingsView): void => {
    setEdited(next);
    onSettings(next);
  };
  const { role } = session.operator;
  const isAdmin = role === 'admin';
  return (
    <main className="settings" aria-labelledby="settings-heading">
      <h2 id="settings-heading">{t('settings.title')}</h2>
      <div className="settings-grid">
        <Display preferences={preferences} onPreferences={onPreferences} />
        {settings && <IdleLock station={station} settings={settings} canEdit={isAdmin} onSaved={saved} />}
        {settings && <StationIdentity settings={settings} />}
        <LabelPrinter station={station} settings={settings} canEdit={isAdmin} onSaved={saved} />
        {settings && <SlotNames station={station} settings={settings} canEdit={isAdmin || role === 'supervisor'} onSaved={saved} />}
        {settings && <TrustStore settings={settings} />}
        {settings && <Profiles settings={settings} />}
        <Connections station={station} />
        {isAdmin && <Operators station={station} atDepot={settings?.operatorsAtDepot ?? false} />}
        {isAdmin && <DepotJoin station={station} />}
      </div>
    </main>
  );
}

function Display({ preferences, onPreferences }: Pick<SettingsProps, 'preferences' | 'onPreferences'>) {
  const { t } = useTranslation();
  const [language, setLanguage] = useState<Language | 'system'>(storedLanguage() ?? 'system');
  return (
    <section className="panel" aria-labelledby="display-heading">
      <h3 id="display-heading">{t('settings.display')}</h3>
      <label className="field">
        <span>{t('settings.language')}</span>
        <select
          value={language}
          onChange={(event) => {
            const chosen = event.target.value as Language | 'system';
            setLanguage(chosen);
            void chooseLanguage(chosen === 'system' ? null : chosen);
          }}
        >
          <option value="system">{t('settings.followSystem')}</option>
          {LANGUAGES.map((code) => (
            <option key={code} value={code}>
              {t(`languages.${code}`)}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>{t('settings.theme')}</span>
        <select value={preferences.theme} onChange={(event) => onPreferences({ theme: event.target.value as Preferences['theme'] })}>
          {THEMES.map((theme) => (
            <option key={theme} value={theme}>
              {t(`themes.${theme}`)}
            </option>
          ))}
        </select>
      </label>
    </section>
  );
}

function StationIdentity({ settings }: { readonly settings: StationSettingsView }) {
  const { t } = useTranslation();
  const { station } = settings;
  return (
    <section className="panel" aria-labelledby="identity-heading">
      <h3 id="identity-heading">{t('settings.identity')}</h3>
      <dl className="facts">
        <dt>{t('settings.mode')}</dt>
        <dd>{station.mode === 'simulated' ? t('header.simulated') : t('header.hardware')}</dd>
        <dt>{t('settings.fingerprint')}</dt>
        <dd className="mono">{station.fingerprint}</dd>
        <dt>{t('settings.publicKey')}</dt>
        <dd className="mono">{station.publicKey}</dd>
        <dt>{t('settings.dataDir')}</dt>
        <dd className="mono">{displaySafe(station.dataDir, 300)}</dd>
      </dl>
      {station.demo && <StateBadge tone="attention" label={t('settings.demoMode')} />}
    </section>
  );
}

function TrustStore({ settings }: { readonly settings: StationSettingsView }) {
  const { t } = useTranslation();
  return (
    <section className="panel wide" aria-labelledby="trust-heading">
      <h3 id="trust-heading">{t('settings.trust')}</h3>
      <table aria-labelledby="trust-heading">
        <thead>
          <tr>
            <th scope="col">{t('settings.keySource')}</th>
            <th scope="col">{t('settings.keyFingerprint')}</th>
          </tr>
        </thead>
        <tbody>
          {settings.trust.keys.map((key) => (
            <tr key={key.keyId}>
              <td>{key.demo ? <StateBadge tone="attention" label={t('settings.demoKey')} /> : displaySafe(key.label, 200)}</td>
              <td className="mono">{key.keyId}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {settings.trust.keys.length === 0 && <p className="hint">{t('settings.noKeys')}</p>}
      {settings.trust.warnings.map((warning) => (
        <p key={warning}>
          <StateBadge tone="attention" label={warning} />
        </p>
      ))}
    </section>
  );
}

function Profiles({ settings }: { readonly settings: StationSettingsView }) {
  const { t } = useTranslation();
  return (
    <section className="panel wide" aria-labelledby="profiles-heading">
      <h3 id="profiles-heading">{t('settings.profiles')}</h3>
      <table aria-labelledby="profiles-heading">
        <thead>
          <tr>
            <th scope="col">{t('settings.profileName')}</th>
            <th scope="col">{t('settings.products')}</th>
            <th scope="col">{t('settings.fuses')}</th>
          </tr>
        </thead>
        <tbody>
          {settings.profiles.map((profile) => (
            <tr key={profile.id}>
              <td>
                {profile.name} <span className="mono">({profile.id})</span>
              </td>
              <td>{profile.products.join(', ')}</td>
              <td>{fusesInWords(profile.fuses, t)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Connections({ station }: { readonly station: StationApi }) {
  const { t } = useTranslation();
  const [scan, setScan] = useState<ScanResult | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
  const rescan = async (): Promise<void> => {
    setError(null);
    try {
      setScan(await station['devices.scan'](undefined));
    } catch (cause) {
      setError(shownError(cause));
    }
  };
  return (
    <section className="panel wide" aria-labelledby="connections-heading">
      <h3 id="connections-heading">{t('settings.connections')}</h3>
      <button type="button" onClick={() => void rescan()}>
        {t('settings.scan')}
      </button>
      <ErrorText error={error} />
      {scan && (
        <div data-testid="scan-result">
          <ul className="plain" aria-label={t('settings.transports')}>
            {scan.transports.map((status, index) => (
              // One transport may have several lines (TCP: the endpoints, and each configured one that does not parse).
              <li key={`${status.transport}-${index}`}>
                <StateBadge tone={status.available ? 'done' : 'attention'} label={transportStatusText(status, t)} />
                {/* The station's sentence, with the system's own text, for a line that names a problem in words. */}
                {(!status.available || status.words.params['condition'] !== undefined) && <StationOriginal text={status.detail} collapsed />}
              </li>
            ))}
          </ul>
          <table aria-label={t('settings.handsetsSeen')}>
            <thead>
              <tr>
                <th scope="col">{t('settings.slotPath')}</th>
                <th scope="col">{t('settings.handsetMode')}</th>
                <th scope="col">{t('history.serial')}</th>
              </tr>
            </thead>
            <tbody>
              {scan.handsets.map((handset) => (
                <tr key={`${handset.mode}:${handset.slot}`}>
                  <td className="mono">{displaySafe(handset.slot, 80)}</td>
                  <td>{handset.mode === 'at' ? t('settings.modeAt') : t('settings.modeFastboot')}</td>
                  <td>{handset.serial === null ? '—' : displaySafe(handset.serial, 64)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
