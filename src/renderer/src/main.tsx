import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { BrowserStation } from './BrowserStation.tsx';
import { initI18n } from './i18n/index.ts';
import { connectSocketBridge } from './socket-bridge.ts';
import { createStationClient } from './station-client.ts';
import './styles.css';

const root = createRoot(document.getElementById('root') as HTMLElement);
const i18n = await initI18n();

// One station client, two transports chosen at start: the Electron preload's IPC bridge (or the
// test bridge standing in for it), else `lockstep serve`'s WebSocket on the page's own origin.
if (window.lockstep) {
  root.render(
    <StrictMode>
      <App station={createStationClient(window.lockstep)} />
    </StrictMode>,
  );
} else if (location.protocol === 'http:' || location.protocol === 'https:') {
  root.render(
    <StrictMode>
      <BrowserStation socket={connectSocketBridge(location)} />
    </StrictMode>,
  );
} else {
  root.render(
    <p role="alert" className="fatal">
      {i18n.t('app.noBridge')}
    </p>,
  );
}
