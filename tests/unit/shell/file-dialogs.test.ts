// The window's file dialogs as main opens them, with a stand-in for Electron's `dialog` (the only
// part that needs the Electron binary) that records what it was asked and answers as a person would.
import { describe, expect, it } from 'vitest';
import { createFileDialogs, type DialogHost, type OpenDialogOptions, type SaveDialogOptions } from '../../../src/main/shell/file-dialogs.ts';
import { stationPageCheck } from '../../../src/main/shell/trusted-sender.ts';

const PAGE = 'file:///opt/Lockstep/resources/app.asar/out/renderer/index.html';
const check = stationPageCheck(PAGE, undefined);
const WINDOW = { name: 'station window' } as const;
const TOP = { frame: { parent: null, url: `${PAGE}#/history` }, window: WINDOW };

interface Asked {
  readonly window: unknown;
  readonly options: SaveDialogOptions | OpenDialogOptions;
}

function host(answer: unknown): DialogHost<typeof WINDOW> & { readonly asked: Asked[] } {
  const asked: Asked[] = [];
  return {
    asked,
    showSaveDialog: async (window, options) => {
      asked.push({ window, options });
      return answer;
    },
    showOpenDialog: async (window, options) => {
      asked.push({ window, options });
      return answer;
    },
  };
}

describe('the save dialog', () => {
  it('is attached to the calling window, with the filter main chose for the kind, and gives the chosen path', async () => {
    const dialogs = host({ canceled: false, filePath: '/home/depot/records.csv' });
    const result = await createFileDialogs(dialogs, check).pickSavePath(TOP, { kind: 'csv', defaultName: 'records.csv', title: '导出' });
    expect(result).toEqual({ ok: true, value: '/home/depot/records.csv' });
    expect(dialogs.asked).toEqual([
      {
        window: WINDOW,
        options: {
          title: '导出',
          defaultPath: 'records.csv',
          filters: [{ name: 'CSV', extensions: ['csv'] }],
          properties: ['createDirectory', 'showOverwriteConfirmation'],
        },
      },
    ]);
  });

  it('answers null when the person cancels', async () => {
    const result = await createFileDialogs(host({ canceled: true, filePath: '' }), check).pickSavePath(TOP, { kind: 'pdf', defaultName: 'r.pdf' });
    expect(result).toEqual({ ok: true, value: null });
  });

  it('refuses a default name with a folder in it, or any field it does not know, without opening a dialog', async () => {
    const dialogs = host({ canceled: false, filePath: '/x.csv' });
    const picker = createFileDialogs(dialogs, check);
    for (const request of [
      { kind: 'csv', defaultName: '/etc/passwd' },
      { kind: 'csv', defaultName: '..\\evil.csv' },
      { kind: 'csv', defaultName: '..' },
      { kind: 'exe', defaultName: 'a.exe' },
      { kind: 'csv', defaultName: 'a.csv', filters: [{ name: 'all', extensions: ['*'] }] },
      { kind: 'csv', defaultName: 'a.csv', title: 'x'.repeat(121) },
      'records.csv',
    ]) {
      const result = await picker.pickSavePath(TOP, request);
      expect(result.ok, JSON.stringify(request)).toBe(false);
    }
    expect(dialogs.asked).toEqual([]);
  });

  it('refuses an answer that is not an absolute path', async () => {
    const picker = createFileDialogs(host({ canceled: false, filePath: 'relative/records.csv' }), check);
    const result = await picker.pickSavePath(TOP, { kind: 'csv', defaultName: 'r.csv' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(/absolute path/u);
  });
});

describe('the open dialog', () => {
  it('picks a bundle folder, a bundle zip or an export, each with its own options', async () => {
    const dialogs = host({ canceled: false, filePaths: ['/srv/bundles/bundle-1.0.0', '/srv/other'] });
    const picker = createFileDialogs(dialogs, check);
    expect(await picker.pickOpenPath(TOP, { kind: 'bundle-dir' })).toEqual({ ok: true, value: '/srv/bundles/bundle-1.0.0' });
    await picker.pickOpenPath(TOP, { kind: 'bundle-zip' });
    await picker.pickOpenPath(TOP, { kind: 'export', title: 'Verify' });
    expect(dialogs.asked.map(({ options }) => options)).toEqual([
      { properties: ['openDirectory'] },
      { properties: ['openFile'], filters: [{ name: 'ZIP', extensions: ['zip'] }] },
      { title: 'Verify', properties: ['openFile'], filters: [{ name: 'JSON Lines', extensions: ['jsonl'] }] },
    ]);
  });

  it('answers null when the person cancels or picks nothing', async () => {
    for (const answer of [{ canceled: true, filePaths: [] }, { canceled: false, filePaths: [] }]) {
      expect(await createFileDialogs(host(answer), check).pickOpenPath(TOP, { kind: 'export' })).toEqual({ ok: true, value: null });
    }
  });

  it('says so when the dialog answers something unexpected or fails', async () => {
    const odd = await createFileDialogs(host({ filePaths: 'not a list' }), check).pickOpenPath(TOP, { kind: 'export' });
    expect(odd.ok).toBe(false);
    const failing: DialogHost<typeof WINDOW> = {
      showSaveDialog: async () => Promise.reject(new Error('no display')),
      showOpenDialog: async () => Promise.reject(new Error('no display')),
    };
    const failed = await createFileDialogs(failing, check).pickOpenPath(TOP, { kind: 'export' });
    expect(failed).toEqual({ ok: false, message: 'The file dialog failed: no display' });
  });
});

describe('who may open a dialog', () => {
  it('only the top frame of our own page, in a window', async () => {
    const dialogs = host({ canceled: false, filePaths: ['/srv/x'] });
    const picker = createFileDialogs(dialogs, check);
    const callers = [
      { frame: { parent: { url: PAGE }, url: PAGE }, window: WINDOW },
      { frame: { parent: null, url: 'https://example.invalid/' }, window: WINDOW },
      { frame: null, window: WINDOW },
      { frame: TOP.frame, window: null },
    ];
    for (const caller of callers) {
      expect((await picker.pickOpenPath(caller, { kind: 'bundle-dir' })).ok).toBe(false);
      expect((await picker.pickSavePath(caller, { kind: 'csv', defaultName: 'a.csv' })).ok).toBe(false);
    }
    expect(dialogs.asked).toEqual([]);
  });
});
