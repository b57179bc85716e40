// The application menu: Electron's role items only, so every label comes from the platform in the
// system's language and none needs translating here. Zoom is kept (a station is read from a metre
// away); reload and the developer tools only in a development build, since in the field they would
// only let a renderer be inspected or reset mid-batch.
export type MenuRole =
  | 'appMenu'
  | 'fileMenu'
  | 'editMenu'
  | 'viewMenu'
  | 'windowMenu'
  | 'resetZoom'
  | 'zoomIn'
  | 'zoomOut'
  | 'togglefullscreen'
  | 'reload'
  | 'toggleDevTools';

export type MenuEntry = { readonly role: MenuRole; readonly submenu?: MenuEntry[] } | { readonly type: 'separator' };

export function applicationMenu(options: { readonly platform: NodeJS.Platform; readonly development: boolean }): MenuEntry[] {
  const view: MenuEntry[] = [{ role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }];
  if (options.development) view.push({ type: 'separator' }, { role: 'reload' }, { role: 'toggleDevTools' });
  return [
    ...(options.platform === 'darwin' ? [{ role: 'appMenu' } as const] : []),
    { role: 'fileMenu' },
    { role: 'editMenu' },
    { role: 'viewMenu', submenu: view },
    { role: 'windowMenu' },
  ];
}
