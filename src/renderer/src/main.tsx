import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { initI18n } from './i18n/index.ts';
import { createStationClient } from './station-client.ts';
import './styles.css';

const root = createRoot(document.getElementById('root') as HTMLElement);
const i18n = await initI18n();

if (window.lockstep) {
  root.render(
    <StrictMode>
      <App station={createStationClient(window.lockstep)} />
    </StrictMode>,
  );
} else {
  root.render(
    <p role="alert" className="fatal">
      {i18n.t('app.noBridge')}
    </p>,
  );
}
