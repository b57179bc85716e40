// Saving a label to a file: written beside its final name, fsynced and renamed, so a reader never
// sees half a label under that name.
import { access, constants, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { PrinterStatus } from '../../../shared/labels.ts';
import { describeFailure } from '../../../shared/describe-failure.ts';
import { displaySafe } from '../../../shared/untrusted.ts';

export async function writeLabelFile(path: string, bytes: Buffer): Promise<string> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temporary, 'wx', 0o644);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new Error(`cannot write the label to ${displaySafe(path)}: ${describeFailure(error)}`, { cause: error });
  }
  return `${bytes.length} bytes written to ${displaySafe(path)}`;
}

export async function fileStatus(path: string): Promise<PrinterStatus> {
  const address = `file:${path}`;
  try {
    await access(dirname(path), constants.W_OK);
    return { state: 'unknown', address, detail: `labels are saved to ${displaySafe(path)}` };
  } catch (error) {
    return { state: 'offline', address, detail: `cannot write to the folder of ${displaySafe(path)}: ${describeFailure(error)}` };
  }
}
