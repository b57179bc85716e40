// Electron entry: window and lifecycle only. The station core is built by openStation and reached
// solely through the typed IPC channels in ipc.ts; everything here that can be decided without
// Electron lives in src/main/shell, where it is tested under plain Node.
import { app, BrowserWindow, dialog, Menu, screen, session } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describeFailure } from '../shared/describe-failure.ts';
import { registerStationIpc } from './ipc.ts';
import { applicationMenu } from './shell/app-menu.ts';
import { prepareDemo } from './shell/prepare-demo.ts';
import { ownerShutdownTarget, shutDownStation } from './shell/shutdown.ts';
import { stationPageCheck } from './shell/trusted-sender.ts';
import { keepWindowState, loadWindowState, MIN_WINDOW, placeWindow, WINDOW_STATE_FILE, type WindowStateKeeper } from './shell/window-state.ts';
import { defaultDataDir } from './station/data-dir.ts';
import { openStation, type OpenedStation } from './station/open-station.ts';

const rendererDevUrl = process.env['ELECTRON_RENDERER_URL'];
const rendererFile = join(import.meta.dirname, '../renderer/index.html');
const isTrustedUrl = stationPageCheck(pathToFileURL(rendererFile).href, rendererDevUrl);

// `--demo` (npm run demo) runs the simulated fleet at demo speed, in a data folder of its own so no
// demo record mixes with a depot's; `--hardware` (npm start) the USB bus, serial ports and the TCP
// endpoints in the settings; neither: the USB bus when the host has one, else the simulated fleet.
const demo = process.argv.includes('--demo');
const fleet = demo ? 'simulated' : process.argv.includes('--hardware') ? 'hardware' : 'auto';
// The station's records, key and settings live where the CLI keeps them ($LOCKSTEP_DATA_DIR or the
// platform's data folder), so both front ends work on one station. Electron's own profile (window
// state, Chromium's files) stays in userData; the demo gets its own, so it runs beside a station.
const stationDir = demo ? join(defaultDataDir(), 'demo-station') : defaultDataDir();
if (demo && !app.commandLine.hasSwitch('user-data-dir')) app.setPath('userData', join(app.getPath('appData'), 'Lockstep Demo'));

/** A renderer that crashes again within this time is left as it is (and says so in the log). */
const RENDERER_RELOAD_GAP_MS = 30_000;

let mainWindow: BrowserWindow | null = null;
let windowState: WindowStateKeeper | null = null;
let opened: OpenedStation | null = null;
let stopIpc: (() => void) | null = null;
let quitting: 'no' | 'shutting-down' | 'done' = 'no';

async function createWindow(): Promise<void> {
  const stateFile = join(app.getPath('userData'), WINDOW_STATE_FILE);
  const saved = await loadWindowState(stateFile);
  if (saved.problem) console.warn(`Lockstep: ${saved.problem}`);
  const primary = screen.getPrimaryDisplay();
  const workAreas = [primary, ...screen.getAllDisplays().filter((display) => display.id !== primary.id)].map((display) => display.workArea);
  const placement = placeWindow(saved.state, workAreas);
  const window = new BrowserWindow({
    ...placement.bounds,
    minWidth: MIN_WINDOW.width,
    minHeight: MIN_WINDOW.height,
    title: 'Lockstep',
    show: false,
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      // A middle click would otherwise open a link in a new window without asking the window-open handler.
      disableBlinkFeatures: 'Auxclick',
      devTools: !app.isPackaged,
      safeDialogs: true,
      spellcheck: false,
    },
  });
  mainWindow = window;
  windowState = keepWindowState(window, stateFile, (problem) => console.warn(`Lockstep: ${problem}`));
  window.once('ready-to-show', () => {
    if (placement.maximised) window.maximize();
    window.show();
  });
  window.on('closed', () => {
    if (mainWindow === window) mainWindow = null;
  });
  // A crashed renderer would leave the technician a blank window while the batch runs on: reload it
  // (its page subscribes again), but not in a loop if it keeps crashing.
  let lastReload = 0;
  window.webContents.on('render-process-gone', (_event, details) => {
    console.error(`Lockstep: the window's renderer stopped (${details.reason})`);
    if (details.reason === 'clean-exit' || Date.now() - lastReload < RENDERER_RELOAD_GAP_MS) return;
    lastReload = Date.now();
    window.webContents.reload();
  });
  if (rendererDevUrl) await window.loadURL(rendererDevUrl);
  else await window.loadFile(rendererFile);
}

/** A second launch (a double click on the icon) brings the running station forward instead. */
function focusMainWindow(): void {
  if (!mainWindow) return;
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.show();
  mainWindow.focus();
}

async function start(): Promise<void> {
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  Menu.setApplicationMenu(Menu.buildFromTemplate(applicationMenu({ platform: process.platform, development: !app.isPackaged })));
  try {
    if (demo) console.info(`Lockstep demo: the demo bundle is ${await prepareDemo(stationDir)}; data in ${stationDir}`);
    opened = await openStation({ dataDir: stationDir, fleet, demo });
  } catch (error) {
    // e.g. another Lockstep (or `lockstep sim`) already runs the simulated handsets of this data folder.
    dialog.showErrorBox('Lockstep cannot start', `The station could not be opened: ${describeFailure(error)}`);
    app.exit(1);
    return;
  }
  stopIpc = registerStationIpc(opened.station, isTrustedUrl);
  await createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) void createWindow();
  });
}

/** Pauses the batch, lets the steps under way finish (bounded), then closes records and devices. */
async function shutDown(): Promise<void> {
  await windowState?.flush();
  if (!opened) return;
  const { station } = opened;
  const closing = opened;
  opened = null;
  const report = await shutDownStation(
    ownerShutdownTarget(station.owner, async () => {
      stopIpc?.();
      await closing.close();
    }),
  );
  if (report.pauseRefused) console.warn(`Lockstep: the batch could not be paused before quitting (${report.pauseRefused})`);
  if (report.interrupted.length > 0) console.warn(`Lockstep: stopped mid-step and journaled for resumption: ${report.interrupted.join(', ')}`);
  if (!report.closed) console.warn('Lockstep: closing the station took too long; quitting with every committed record kept');
}

if (!app.requestSingleInstanceLock()) {
  // Another Lockstep holds this data folder: it was asked to come forward (second-instance) instead.
  app.quit();
} else {
  app.enableSandbox();
  app.on('second-instance', focusMainWindow);
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.on('will-navigate', (event) => event.preventDefault());
    contents.on('will-redirect', (event) => event.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('before-quit', (event) => {
    if (quitting === 'done') return;
    event.preventDefault();
    if (quitting === 'shutting-down') return;
    quitting = 'shutting-down';
    void shutDown()
      .catch((error: unknown) => console.error(`Lockstep: shutting down: ${describeFailure(error)}`))
      .finally(() => {
        quitting = 'done';
        app.quit();
      });
  });
  // A terminal's Ctrl+C or a service manager's stop takes the same careful way out as the menu.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit());
  void app.whenReady().then(start);
}
