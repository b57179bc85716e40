// One simulator process per handset folder: two processes flashing the same partition files and
// burning the same fuse words would each believe it owns the handset.
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

const LOCK_FILE = 'owner.pid';

export class HandsetBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HandsetBusyError';
  }
}

/** Claims `directory` for this process; a claim left by a process that no longer runs is taken over. Returns the release function. */
export async function lockHandsetDirectory(directory: string, serialShown: string): Promise<() => Promise<void>> {
  const path = join(directory, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const file = await open(path, 'wx', 0o600);
      await file.writeFile(String(process.pid));
      await file.close();
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(owner) && owner > 0 && isRunning(owner)) {
      throw new HandsetBusyError(`virtual handset ${serialShown} is already run by process ${owner} (${directory}); stop that simulator or give this one another state directory`);
    }
    await rm(path, { force: true });
  }
  throw new HandsetBusyError(`could not claim ${directory} for virtual handset ${serialShown}; another simulator is starting on it`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
