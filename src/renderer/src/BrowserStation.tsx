import { useMemo, useSyncExternalStore } from 'react';
import { useTranslation } from 'react-i18next';
import { App } from './App.tsx';
import { StateBadge } from './components/StateBadge.tsx';
import type { SocketBridge } from './socket-bridge.ts';
import { createStationClient } from './station-client.ts';

/**
 * The station window in a browser (`lockstep serve`). While the socket is down the last screen stays
 * visible but greyed, inert and labelled as reconnecting; each new connection starts the app afresh
 * (the session, the batch and the grid read again, the grid empty until its first snapshot), so
 * nothing from before the break is ever shown as current.
 */
export function BrowserStation({ socket }: { readonly socket: SocketBridge }) {
  const { t } = useTranslation();
  const connection = useSyncExternalStore(socket.onConnection, socket.connection);
  const station = useMemo(() => createStationClient(socket.bridge), [socket]);
  if (connection.status === 'connecting') return <p className="loading">{t('common.connecting')}</p>;
  const stale = connection.status === 'reconnecting';
  return (
    <>
      {stale && (
        <p role="alert" className="connection-lost">
          <StateBadge tone="attention" label={t('connection.reconnecting')} /> {t('connection.stale')}
        </p>
      )}
      <div className={stale ? 'station-link stale' : 'station-link'} inert={stale}>
        <App key={connection.generation} station={station} />
      </div>
    </>
  );
}
