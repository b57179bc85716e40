import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { DEFAULT_IDLE_LOCK_MINUTES, type BatchStatus, type Session, type StationApi, type StationSettingsView } from '../../shared/api.ts';
import type { StationInfo } from '../../shared/types.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import { ConfirmDialog } from './components/ConfirmDialog.tsx';
import { DepotState } from './components/DepotState.tsx';
import type { ProfileSummary } from '../../shared/profile.ts';
import { ProfilesContext } from './check-texts.ts';
import { ErrorText } from './components/StateBadge.tsx';
import { useIdleLock } from './hooks/useIdleLock.ts';
import { useSnapshot } from './hooks/useSnapshot.ts';
import { usePreferences } from './preferences.ts';
import { BatchSetup } from './screens/BatchSetup.tsx';
import { GateDialog } from './screens/GateDialog.tsx';
import { HandsetDetail } from './screens/HandsetDetail.tsx';
import { History } from './screens/History.tsx';
import { Settings } from './screens/Settings.tsx';
import { SignIn, type SignedOutNotice } from './screens/SignIn.tsx';
import type { SlotActions } from './screens/SlotCard.tsx';
import { StationGrid } from './screens/StationGrid.tsx';
import { shownError, type ShownError } from './station-client.ts';

type View = 'station' | 'history' | 'settings';
const VIEWS: readonly View[] = ['station', 'history', 'settings'];
const NO_SLOT_NAMES = {};
const NO_PROFILES: readonly ProfileSummary[] = [];

export function App({ station }: { readonly station: StationApi }) {
  const { t } = useTranslation();
  const [info, setInfo] = useState<StationInfo | null>(null);
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [signedOutNotice, setSignedOutNotice] = useState<SignedOutNotice | null>(null);
  const [view, setView] = useState<View>('station');
  const [batch, setBatch] = useState<BatchStatus | null>(null);
  const [settings, setSettings] = useState<StationSettingsView | null>(null);
  const [gateOpen, setGateOpen] = useState(false);
  const [detailSerial, setDetailSerial] = useState<string | null>(null);
  const [aborting, setAborting] = useState<{ readonly serial: string; readonly slot: string } | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
  const [preferences, setPreferences] = usePreferences();

  useEffect(() => {
    station['station.info'](undefined).then(setInfo, (cause: unknown) => setError(shownError(cause)));
    station['session.current'](undefined).then(setSession, (cause: unknown) => setError(shownError(cause)));
  }, [station]);

  const signedIn = session !== null && session !== undefined;
  const snapshot = useSnapshot(station, signedIn);
  useEffect(() => {
    if (!signedIn) return;
    station['batch.current'](undefined).then(setBatch, (cause: unknown) => setError(shownError(cause)));
    station['settings.read'](undefined).then(setSettings, (cause: unknown) => setError(shownError(cause)));
  }, [station, signedIn]);

  // Authorisations are used up handset by handset: keep the gate's state current while the batch runs.
  const provisioned = snapshot?.counters.provisioned ?? 0;
  useEffect(() => {
    if (signedIn && provisioned > 0) station['batch.current'](undefined).then(setBatch, () => undefined);
  }, [station, signedIn, provisioned]);

  // The station's policy; until the settings are read, the station's default.
  const idleLockMinutes = settings?.idleLockMinutes ?? DEFAULT_IDLE_LOCK_MINUTES;
  /** Whether this page shows someone signed in, for the session event's listener (which outlives renders). */
  const shownSignedIn = useRef(false);
  useEffect(() => {
    shownSignedIn.current = signedIn;
  }, [signedIn]);
  /** True while this page signs out itself: the station's event of that sign-out is its own, not another tab's. */
  const leaving = useRef(false);
  const closeDialogs = useCallback(() => {
    setGateOpen(false);
    setDetailSerial(null);
    setAborting(null);
  }, []);
  const dropSession = useCallback(
    (notice: SignedOutNotice | null) => {
      shownSignedIn.current = false;
      closeDialogs();
      setSignedOutNotice(notice);
      // What one operator read is not kept for the sign-in screen or the next operator: it is read again.
      setBatch(null);
      setSettings(null);
      setError(null);
      setSession(null);
    },
    [closeDialogs],
  );
  const signOut = useCallback(
    async (idle: boolean) => {
      closeDialogs();
      leaving.current = true;
      await station['session.signOut'](undefined).catch(() => undefined);
      leaving.current = false;
      dropSession(idle ? { kind: 'idle', minutes: idleLockMinutes } : null);
    },
    [station, idleLockMinutes, closeDialogs, dropSession],
  );
  useIdleLock(signedIn, idleLockMinutes, () => void signOut(true));
  // The session is shared by every tab of a browser: signed out in another (by hand or its idle lock), this
  // page shows the sign-in screen at once and drops what it read; signed in there, this page follows.
  useEffect(
    () =>
      station.subscribe('session.current', (current) => {
        if (current !== null) {
          setSignedOutNotice(null);
          setSession(current);
        } else if (shownSignedIn.current && !leaving.current) {
          dropSession({ kind: 'elsewhere' });
        }
      }),
    [station, dropSession],
  );

  const act = useCallback(
    async (call: () => Promise<unknown>) => {
      setError(null);
      try {
        await call();
      } catch (cause) {
        setError(shownError(cause));
      }
    },
    [],
  );
  const actions: SlotActions = useMemo(
    () => ({
      retry: (serial) => void act(() => station['handset.retry']({ serial })),
      abort: (serial, slot) => setAborting({ serial, slot }),
      details: (serial) => setDetailSerial(serial),
    }),
    [station, act],
  );

  // Where an admin sets the label printer; others are told who can (issue 20 #11).
  const isAdmin = session?.operator.role === 'admin';
  const setPrinter = useMemo(
    () =>
      isAdmin
        ? () => {
            setDetailSerial(null);
            setView('settings');
          }
        : null,
    [isAdmin],
  );

  if (session === undefined) return <p className="loading">{t('common.connecting')}</p>;
  return (
    <ProfilesContext.Provider value={settings?.profiles ?? NO_PROFILES}>
    <div className="app">
      <header className="app-header">
        <h1>{t('app.name')}</h1>
        <p className="station-meta" data-testid="station-meta">
          {info ? t('header.meta', { version: info.version, mode: info.mode === 'simulated' ? t('header.simulated') : t('header.hardware'), node: info.runtime.node }) : t('common.connecting')}
        </p>
        <DepotState station={station} />
        {signedIn && (
          <>
            <nav aria-label={t('nav.label')}>
              {VIEWS.map((name) => (
                <button key={name} type="button" className={view === name ? 'current' : ''} aria-current={view === name ? 'page' : undefined} onClick={() => setView(name)}>
                  {t(`nav.${name}`)}
                </button>
              ))}
            </nav>
            <p className="operator" data-testid="operator">
              <strong>{session.operator.displayName}</strong> <span className="role">{t(`roles.${session.operator.role}`)}</span>
            </p>
            <button type="button" onClick={() => void signOut(false)}>
              {t('nav.signOut')}
            </button>
          </>
        )}
      </header>
      {!signedIn ? (
        <SignIn
          station={station}
          notice={signedOutNotice}
          onSignedIn={(next) => {
            setSignedOutNotice(null);
            setSession(next);
          }}
        />
      ) : (
        <>
          <ErrorText error={error} />
          {view === 'station' &&
            (batch ? (
              <StationGrid
                station={station}
                batch={batch}
                snapshot={snapshot}
                slotNames={settings?.slotNames ?? NO_SLOT_NAMES}
                actions={actions}
                onSetPrinter={setPrinter}
                onPause={(pause) => void act(() => station[pause ? 'batch.pause' : 'batch.resume'](undefined))}
                onOpenGate={() => setGateOpen(true)}
              />
            ) : (
              <BatchSetup
                station={station}
                onStarted={(status) => {
                  setBatch(status);
                  setGateOpen(status.gateRequired && status.authorisation === null);
                }}
              />
            ))}
          {view === 'history' && <History station={station} onSetPrinter={setPrinter} />}
          {view === 'settings' && <Settings station={station} session={session} settings={settings} preferences={preferences} onPreferences={setPreferences} onSettings={setSettings} />}
          {gateOpen && batch && (
            <GateDialog
              station={station}
              batch={batch}
              onClose={() => setGateOpen(false)}
              onAuthorised={(status) => {
                setBatch(status);
                setGateOpen(false);
              }}
            />
          )}
          {aborting && (
            <ConfirmDialog
              title={t('confirm.abortTitle', { slot: displaySafe(aborting.slot, 32) })}
              text={t('confirm.abortText', { serial: displaySafe(aborting.serial, 64) })}
              confirm={t('confirm.abortButton')}
              cancel={t('confirm.keepRunning')}
              danger
              onConfirm={() => void act(() => station['handset.abort']({ serial: aborting.serial }))}
              onClose={() => setAborting(null)}
            />
          )}
          {detailSerial !== null && (
            <HandsetDetail
              station={station}
              serial={detailSerial}
              live={snapshot?.handsets.find((handset) => handset.serial === detailSerial) ?? null}
              onSetPrinter={setPrinter}
              onClose={() => setDetailSerial(null)}
            />
          )}
        </>
      )}
    </div>
    </ProfilesContext.Provider>
  );
}
