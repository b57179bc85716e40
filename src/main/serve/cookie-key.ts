// The key that signs `lockstep serve`'s browser cookies, kept in the station's data folder (owner
// only) so a browser stays admitted when the station restarts and reconnects on its own. Deleting
// the file turns every browser away until it opens the newly printed address.
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { COOKIE_KEY_BYTES } from './access.ts';

export const COOKIE_KEY_FILE = 'serve-cookie.key';

export async function stationCookieKey(dataDir: string): Promise<Buffer> {
  const path = join(dataDir, COOKIE_KEY_FILE);
  const kept = await readFile(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (kept !== null) {
    if (kept.length !== COOKIE_KEY_BYTES) throw new Error(`${path} is not a cookie key of ${COOKIE_KEY_BYTES} bytes; delete it to make a new one`);
    return kept;
  }
  const key = randomBytes(COOKIE_KEY_BYTES);
  // 'wx': two stations starting at once never overwrite each other's key.
  await writeFile(path, key, { mode: 0o600, flag: 'wx' });
  return key;
}
