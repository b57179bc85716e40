// electron-builder's afterPack hook: flips the packaged Electron binary's fuses before the app is
// signed (electron-builder signs after this hook), so the shipped station cannot be turned into a
// plain Node runtime, have its app swapped for loose files, or be opened to a debugger.
// Runs under the Node that runs electron-builder (Node 24 strips the types).
import { join } from 'node:path';
import { flipFuses, FuseV1Options, FuseVersion, type FuseV1Config } from '@electron/fuses';

/**
 * Every fuse is set explicitly (strictlyRequireAllFuses), so an Electron upgrade that adds a fuse
 * fails the build until someone decides it here. docs/electron.md says why each is set so.
 */
export const STATION_FUSES = {
  version: FuseVersion.V1,
  strictlyRequireAllFuses: true,
  [FuseV1Options.RunAsNode]: false,
  [FuseV1Options.EnableCookieEncryption]: true,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  [FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]: false,
  // The renderer is loaded from file:// and its ES module scripts need the file protocol's privileges.
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: true,
  [FuseV1Options.WasmTrapHandlers]: true,
} as const satisfies FuseV1Config;

/** The part of electron-builder's AfterPackContext the hook reads. */
export interface PackedApp {
  readonly appOutDir: string;
  readonly electronPlatformName: string;
  readonly packager: { readonly executableName?: string; readonly appInfo: { readonly productFilename: string } };
}

/** The file that carries the fuse wire: the app bundle on macOS, the executable elsewhere. */
export function electronBinaryOf(context: PackedApp): string {
  const { appOutDir, electronPlatformName, packager } = context;
  const product = packager.appInfo.productFilename;
  if (electronPlatformName === 'darwin' || electronPlatformName === 'mas') return join(appOutDir, `${product}.app`);
  if (electronPlatformName === 'win32') return join(appOutDir, `${product}.exe`);
  return join(appOutDir, packager.executableName ?? product);
}

export default async function afterPack(context: PackedApp): Promise<void> {
  const darwin = context.electronPlatformName === 'darwin' || context.electronPlatformName === 'mas';
  // Flipping fuses breaks an arm64 Mac binary's ad-hoc signature; re-sign it ad hoc (the real signature follows).
  await flipFuses(electronBinaryOf(context), { ...STATION_FUSES, resetAdHocDarwinSignature: darwin });
}
