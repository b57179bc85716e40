import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { createStationClient } from './station-client.ts';
import './styles.css';

const root = createRoot(document.getElementById('root') as HTMLElement);

if (window.lockstep) {
  root.render(
    <StrictMode>
      <App station={createStationClient(window.lockstep)} />
    </StrictMode>,
  );
} else {
  root.render(
    <p role="alert" className="fatal">
      The station bridge is missing: this page must be opened by the Lockstep app, not a plain browser.
    </p>,
  );
}
