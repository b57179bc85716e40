// Electron entry: window and lifecycle only. The station core is built by createStation and
// reached solely through the typed IPC channels in ipc.ts.
import { app, BrowserWindow, dialog, session, shell } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describeFailure } from '../shared/describe-failure.ts';
import { registerStationIpc } from './ipc.ts';
import { openStation, type OpenedStation } from './station/open-station.ts';

const rendererDevUrl = process.env['ELECTRON_RENDERER_URL'];
const rendererFile = join(import.meta.dirname, '../renderer/index.html');
const trustedOrigin = rendererDevUrl ? new URL(rendererDevUrl).origin : null;
const rendererFileUrl = pathToFileURL(rendererFile).href;

function isTrustedUrl(url: string): boolean {
  if (trustedOrigin !== null) return URL.canParse(url) && new URL(url).origin === trustedOrigin;
  return url.split('#')[0] === rendererFileUrl;
}

function createWindow(): void {
  const window = new BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 960,
    minHeight: 600,
    title: 'Lockstep',
    show: false,
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  window.once('ready-to-show', () => window.show());
  window.webContents.on('will-navigate', (event) => event.preventDefault());
  window.webContents.on('will-redirect', (event) => event.preventDefault());
  window.webContents.setWindowOpenHandler(({ url }) => {
    // Only documentation links leave the app, and they open in the system browser.
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  if (rendererDevUrl) void window.loadURL(rendererDevUrl);
  else void window.loadFile(rendererFile);
}

app.enableSandbox();
app.on('web-contents-created', (_event, contents) => {
  contents.on('will-attach-webview', (event) => event.preventDefault());
});

// `--demo` (npm run demo) forces the simulated fleet at demo speed; `--hardware` forces the USB bus;
// otherwise the station uses the USB bus when the host has one and the simulated fleet when not.
const demo = process.argv.includes('--demo');
const fleet = demo ? 'simulated' : process.argv.includes('--hardware') ? 'hardware' : 'auto';
let opened: OpenedStation | null = null;

void app.whenReady().then(async () => {
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  try {
    opened = await openStation({ dataDir: app.getPath('userData'), fleet, demo });
  } catch (error) {
    // e.g. another Lockstep (or `lockstep sim`) already runs the simulated handsets of this data folder.
    dialog.showErrorBox('Lockstep cannot start', `The station could not be opened: ${describeFailure(error)}`);
    app.exit(1);
    return;
  }
  registerStationIpc(opened.station, isTrustedUrl);
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

app.on('will-quit', (event) => {
  if (!opened) return;
  // Let the simulated fleet persist its handsets' state before the process exits.
  event.preventDefault();
  const closing = opened;
  opened = null;
  void closing.close().finally(() => app.quit());
});
