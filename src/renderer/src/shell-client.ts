import type { PickOpenPathRequest, PickSavePathRequest, ShellBridge, ShellResult } from '../../shared/shell-api.ts';

declare global {
  interface Window {
    /** The Electron window's file dialogs; absent in a browser and behind the headless bridge. */
    readonly lockstepShell?: ShellBridge;
  }
}

/** The window's file dialogs, or null where there are none (the screens then take a typed path only). */
export function shellBridge(): ShellBridge | null {
  return window.lockstepShell ?? null;
}

/** What a "Choose…" button asks the shell for. */
export type PathPick = { readonly save: PickSavePathRequest } | { readonly open: PickOpenPathRequest };

export function pickPath(shell: ShellBridge, pick: PathPick): Promise<ShellResult> {
  return 'save' in pick ? shell.pickSavePath(pick.save) : shell.pickOpenPath(pick.open);
}

/** A file name for today's export, e.g. `lockstep-records-2026-11-25.csv`. */
export function exportFileName(extension: string, now: Date = new Date()): string {
  const day = [now.getFullYear(), now.getMonth() + 1, now.getDate()].map((part) => String(part).padStart(2, '0')).join('-');
  return `lockstep-records-${day}.${extension}`;
}
