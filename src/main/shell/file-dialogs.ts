// The window's native file dialogs. The renderer says what it wants to pick (a kind, a file name, a
// title in the operator's language), never a filter list or a folder: main decides those, so a
// compromised page can at most open a dialog the person still has to answer. Requests and the
// dialog's answers are checked with zod; a dialog opens only for the top frame of our own page and
// is attached to that page's window (modal on it, never a free-floating one).
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { describeFailure } from '../../shared/describe-failure.ts';
import { OPEN_KINDS, SAVE_KINDS, type OpenKind, type SaveKind, type ShellResult } from '../../shared/shell-api.ts';
import { describeIssues } from '../../shared/zod-issues.ts';
import { isStationFrame, type SenderFrame, type UrlCheck } from './trusted-sender.ts';

interface FileFilter {
  readonly name: string;
  readonly extensions: string[];
}

export interface SaveDialogOptions {
  title?: string;
  defaultPath: string;
  filters: FileFilter[];
  properties: ('createDirectory' | 'showOverwriteConfirmation')[];
}

export interface OpenDialogOptions {
  title?: string;
  filters?: FileFilter[];
  properties: ('openFile' | 'openDirectory')[];
}

/** The part of Electron's `dialog` used here, with the window a dialog is attached to. */
export interface DialogHost<W> {
  showSaveDialog(window: W, options: SaveDialogOptions): Promise<unknown>;
  showOpenDialog(window: W, options: OpenDialogOptions): Promise<unknown>;
}

/** Who asked: the frame that sent the message and the window its page is in (null if none). */
export interface DialogCaller<W> {
  readonly frame: SenderFrame | null | undefined;
  readonly window: W | null;
}

const title = z.string().trim().min(1).max(120).optional();
// A bare file name: no folder part, so the page cannot point the dialog at a place of its choosing.
const fileName = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[^/\\:\0]+$/u, 'a file name without a folder')
  .refine((name) => name !== '.' && name !== '..', 'a file name without a folder');

const saveRequest = z.strictObject({ kind: z.enum(SAVE_KINDS), defaultName: fileName, title });
const openRequest = z.strictObject({ kind: z.enum(OPEN_KINDS), title });

const chosenPath = z
  .string()
  .min(1)
  .max(4096)
  .refine((path) => isAbsolute(path), 'an absolute path');
const saveAnswer = z.object({ canceled: z.boolean(), filePath: z.string().optional() });
const openAnswer = z.object({ canceled: z.boolean(), filePaths: z.array(z.string()) });

const SAVE_FILTERS: { readonly [K in SaveKind]: FileFilter } = {
  csv: { name: 'CSV', extensions: ['csv'] },
  jsonl: { name: 'JSON Lines', extensions: ['jsonl'] },
  pdf: { name: 'PDF', extensions: ['pdf'] },
};

const OPEN_OPTIONS: { readonly [K in OpenKind]: Omit<OpenDialogOptions, 'title'> } = {
  'bundle-dir': { properties: ['openDirectory'] },
  'bundle-zip': { properties: ['openFile'], filters: [{ name: 'ZIP', extensions: ['zip'] }] },
  export: { properties: ['openFile'], filters: [{ name: 'JSON Lines', extensions: ['jsonl'] }] },
  // What `lockstep depot add-station` writes (NAME.credentials.json).
  'depot-credentials': { properties: ['openFile'], filters: [{ name: 'JSON', extensions: ['json'] }] },
};

const refused = (message: string): ShellResult => ({ ok: false, message });

export interface FileDialogs<W> {
  pickSavePath(caller: DialogCaller<W>, request: unknown): Promise<ShellResult>;
  pickOpenPath(caller: DialogCaller<W>, request: unknown): Promise<ShellResult>;
}

export function createFileDialogs<W>(host: DialogHost<W>, isTrustedUrl: UrlCheck): FileDialogs<W> {
  const run = async <R>(
    caller: DialogCaller<W>,
    request: unknown,
    schema: z.ZodType<R>,
    show: (window: W, request: R) => Promise<string | null>,
  ): Promise<ShellResult> => {
    if (!isStationFrame(caller.frame, isTrustedUrl)) return refused('Refused: the request did not come from the station window');
    if (caller.window === null) return refused('Refused: the request came from no window');
    const parsed = schema.safeParse(request);
    if (!parsed.success) return refused(`Not a valid file dialog request:\n${describeIssues(parsed.error)}`);
    try {
      return { ok: true, value: await show(caller.window, parsed.data) };
    } catch (error) {
      return refused(`The file dialog failed: ${describeFailure(error)}`);
    }
  };
  return {
    pickSavePath: (caller, request) =>
      run(caller, request, saveRequest, async (window, { kind, defaultName, title: shown }) => {
        const answer = saveAnswer.parse(
          await host.showSaveDialog(window, {
            ...(shown ? { title: shown } : {}),
            defaultPath: defaultName,
            filters: [SAVE_FILTERS[kind]],
            properties: ['createDirectory', 'showOverwriteConfirmation'],
          }),
        );
        return answer.canceled || !answer.filePath ? null : chosenPath.parse(answer.filePath);
      }),
    pickOpenPath: (caller, request) =>
      run(caller, request, openRequest, async (window, { kind, title: shown }) => {
        const answer = openAnswer.parse(await host.showOpenDialog(window, { ...(shown ? { title: shown } : {}), ...OPEN_OPTIONS[kind] }));
        const [first] = answer.filePaths;
        return answer.canceled || first === undefined ? null : chosenPath.parse(first);
      }),
  };
}
