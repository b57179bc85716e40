// Where the station's shipped resources are (device profiles, trusted keys, label templates). The
// CLI runs from the sources (src/main/…), the Electron main process from one bundled file
// (out/main/index.js) and a packaged app keeps them beside its asar (extraResources), so no fixed
// path relative to one module is right for all three: this is the one answer they share.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** A folder that every shipped resources folder has, to recognise it by. */
const MARKER = 'profiles';

let found: string | null = null;

/** The shipped `resources` folder, or a path inside it. */
export function resourcesDir(...inside: string[]): string {
  found ??= locate();
  return join(found, ...inside);
}

function locate(): string {
  // Electron sets resourcesPath; unpackaged it is Electron's own folder, which has no `resources` of ours.
  const packaged = (process as { resourcesPath?: string }).resourcesPath;
  if (packaged !== undefined && existsSync(join(packaged, 'resources', MARKER))) return join(packaged, 'resources');
  for (let dir = import.meta.dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'resources', MARKER))) return join(dir, 'resources');
    if (dirname(dir) === dir) {
      throw new Error(`the station's resources folder (profiles, keys, label templates) is missing above ${import.meta.dirname}: reinstall Lockstep.`);
    }
  }
}
