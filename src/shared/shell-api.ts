// The window's own calls, apart from the station API: native file dialogs. Only the Electron shell
// offers them (`window.lockstepShell`); the CLI, the headless bridge and a plain browser have none,
// and the screens then keep the typed path alone. Kept free of any library so the sandboxed preload
// can bundle it; main validates every request and every dialog's answer with zod.

export const SHELL_PICK_SAVE_PATH = 'lockstep:shell:pickSavePath';
export const SHELL_PICK_OPEN_PATH = 'lockstep:shell:pickOpenPath';

/** What a save dialog saves; main decides the file type filter from it. */
export const SAVE_KINDS = ['csv', 'jsonl', 'pdf'] as const;
export type SaveKind = (typeof SAVE_KINDS)[number];

/** What an open dialog picks: a bundle folder, a bundle zip, a JSON Lines export to verify, or a depot credentials file. */
export const OPEN_KINDS = ['bundle-dir', 'bundle-zip', 'export', 'depot-credentials'] as const;
export type OpenKind = (typeof OPEN_KINDS)[number];

export interface PickSavePathRequest {
  readonly kind: SaveKind;
  /** A file name without any folder, e.g. `lockstep-records-2026-11-25.csv`. */
  readonly defaultName: string;
  /** The dialog's title in the operator's language (at most 120 characters). */
  readonly title?: string;
}

export interface PickOpenPathRequest {
  readonly kind: OpenKind;
  readonly title?: string;
}

/** The chosen absolute path, or null when the person cancelled. */
export type ShellResult = { readonly ok: true; readonly value: string | null } | { readonly ok: false; readonly message: string };

/** `window.lockstepShell` as the preload exposes it. */
export interface ShellBridge {
  pickSavePath(request: PickSavePathRequest): Promise<ShellResult>;
  pickOpenPath(request: PickOpenPathRequest): Promise<ShellResult>;
}
