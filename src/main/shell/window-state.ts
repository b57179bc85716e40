// The station window comes back where the technician left it: size, position and maximised state
// are kept in a JSON file in the app's data folder. The file is read as untrusted (zod), and a
// position that no display shows any more (a monitor unplugged, a resolution changed) is replaced
// by a centred window, so the window can never open out of reach.
import { z } from 'zod';
import { describeFailure } from '../../shared/describe-failure.ts';
import { JsonFileError, readJsonFile } from '../../lib/json/read-json-file.ts';
import { replaceFileDurably } from '../../lib/storage/replace-file.ts';

export const WINDOW_STATE_FILE = 'window-state.json';
export const MIN_WINDOW = { width: 960, height: 600 } as const;
const DEFAULT_WINDOW = { width: 1280, height: 800 } as const;
/** How much of the window must lie on a display to count as reachable: enough to grab its title bar. */
const REACHABLE = { width: 120, height: 40 } as const;
/** A window state is a few numbers; a larger file is not one. */
const MAX_WINDOW_STATE_BYTES = 4096;

const coordinate = z.int().min(-100_000).max(100_000);
const length = z.int().min(1).max(100_000);
export const windowStateSchema = z.strictObject({
  bounds: z.strictObject({ x: coordinate, y: coordinate, width: length, height: length }),
  maximised: z.boolean(),
});
export type WindowState = z.infer<typeof windowStateSchema>;

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Where the window opens: no x/y means centred by the window system. */
export interface WindowPlacement {
  readonly bounds: { readonly x?: number; readonly y?: number; readonly width: number; readonly height: number };
  readonly maximised: boolean;
}

/** The saved state, or null when there is none or it is unusable (then `problem` says why). */
export async function loadWindowState(file: string): Promise<{ state: WindowState | null; problem: string | null }> {
  try {
    return { state: await readJsonFile(file, windowStateSchema, { what: 'the window state', maxBytes: MAX_WINDOW_STATE_BYTES }), problem: null };
  } catch (error) {
    if (!(error instanceof JsonFileError)) throw error;
    if (error.problem === 'missing') return { state: null, problem: null };
    return { state: null, problem: `${error.message}; using the default` };
  }
}

/** Fits the saved state to the displays there are now (their work areas, the primary one first). */
export function placeWindow(saved: WindowState | null, workAreas: readonly Rect[]): WindowPlacement {
  const primary = workAreas[0];
  const wanted = saved?.bounds ?? DEFAULT_WINDOW;
  const home = saved ? workAreas.find((area) => overlaps(saved.bounds, area)) : undefined;
  const room = home ?? primary;
  const width = clamp(wanted.width, MIN_WINDOW.width, room?.width ?? wanted.width);
  const height = clamp(wanted.height, MIN_WINDOW.height, room?.height ?? wanted.height);
  const maximised = saved?.maximised ?? false;
  if (!saved || !home) return { bounds: { width, height }, maximised };
  // Still reachable: keep the position, pulled inside its display if the size had to shrink.
  const x = clamp(saved.bounds.x, home.x, home.x + home.width - width);
  const y = clamp(saved.bounds.y, home.y, home.y + home.height - height);
  return { bounds: { x, y, width, height }, maximised };
}

function overlaps(window: Rect, area: Rect): boolean {
  const width = Math.min(window.x + window.width, area.x + area.width) - Math.max(window.x, area.x);
  const height = Math.min(window.y + window.height, area.y + area.height) - Math.max(window.y, area.y);
  return width >= REACHABLE.width && height >= REACHABLE.height;
}

function clamp(value: number, low: number, high: number): number {
  return Math.max(low, Math.min(value, Math.max(low, high)));
}

/** The part of Electron's BrowserWindow the keeper reads. */
export interface TrackedWindow {
  getNormalBounds(): Rect;
  isMaximized(): boolean;
  isDestroyed(): boolean;
  on(event: 'resize', listener: () => void): unknown;
  on(event: 'move', listener: () => void): unknown;
  on(event: 'maximize', listener: () => void): unknown;
  on(event: 'unmaximize', listener: () => void): unknown;
  on(event: 'close', listener: () => void): unknown;
}

export interface WindowStateKeeper {
  /** Writes any change not yet saved, and resolves when the file holds it. */
  flush(): Promise<void>;
}

/**
 * Saves the window's state a moment after it stops moving, and at once when it closes. The normal
 * (unmaximised) bounds are kept, so un-maximising after a restart returns to the size it had.
 */
export function keepWindowState(window: TrackedWindow, file: string, onProblem: (problem: string) => void, debounceMs = 500): WindowStateKeeper {
  let timer: NodeJS.Timeout | null = null;
  let pending: WindowState | null = null;
  let writing: Promise<void> = Promise.resolve();
  const capture = (): void => {
    if (window.isDestroyed()) return;
    const { x, y, width, height } = window.getNormalBounds();
    pending = { bounds: { x: Math.round(x), y: Math.round(y), width: Math.round(width), height: Math.round(height) }, maximised: window.isMaximized() };
  };
  const write = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = null;
    const state = pending;
    pending = null;
    if (state) {
      writing = writing
        .then(() => replaceFileDurably(file, [`${JSON.stringify(state, null, 2)}\n`], 0o600))
        .catch((error: unknown) => onProblem(`cannot save the window state to ${file}: ${describeFailure(error)}`));
    }
    return writing;
  };
  const later = (): void => {
    capture();
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void write(), debounceMs);
  };
  window.on('resize', later);
  window.on('move', later);
  window.on('maximize', later);
  window.on('unmaximize', later);
  window.on('close', () => {
    capture();
    void write();
  });
  return { flush: write };
}
