// Where a command the tests run is on this machine, without running it (some, such as cupsd, would
// start a service). Spelled as in resources/build/debian-packages.ts: a bare name is looked up on
// PATH; a path is taken as it is, one `*` folder standing for any (PostgreSQL's major version).
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The executable file `command` names, or null when there is none. */
export function findCommand(command: string, path: string = process.env['PATH'] ?? ''): string | null {
  if (!command.includes('/')) {
    const candidates = path.split(delimiter).filter((dir) => dir !== '').map((dir) => join(dir, command));
    return candidates.find(isExecutableFile) ?? null;
  }
  const parts = command.split('/');
  const star = parts.indexOf('*');
  if (star < 0) return isExecutableFile(command) ? command : null;
  const parent = parts.slice(0, star).join('/');
  const rest = parts.slice(star + 1).join('/');
  // The newest first: version folders compared as numbers, so 17 comes before 9.
  const folders = entries(parent).sort((a, b) => b.localeCompare(a, 'en', { numeric: true }));
  return folders.map((folder) => join(parent, folder, rest)).find(isExecutableFile) ?? null;
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function entries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
