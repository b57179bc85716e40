// The station's latest join of its depot, kept beside its database (docs/depot.md, "The offer window"):
// the id the depot gave the join, so that an offer of the station's operators names the join whose
// comparison the admin saw, and the depot can refuse it once the station joined again or the window closed.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { depotJoinMarkSchema, type DepotJoinMark } from '../../shared/depot.ts';

export const DEPOT_JOIN_FILE = 'depot-join.json';

const markPath = (databasePath: string): string => join(dirname(databasePath), DEPOT_JOIN_FILE);

/**
 * The join this station last made, or null: none kept (joined before the depot gave joins ids), or a
 * damaged file. Either way an offer then names no join and the depot says to join again.
 */
export async function readJoinMark(databasePath: string): Promise<DepotJoinMark | null> {
  const text = await readFile(markPath(databasePath), 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    const parsed = depotJoinMarkSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Replaces the kept join (written under a temporary name and renamed, so a reader never sees half a file). */
export async function writeJoinMark(databasePath: string, mark: DepotJoinMark): Promise<void> {
  const path = markPath(databasePath);
  await writeFile(`${path}.tmp`, `${JSON.stringify(depotJoinMarkSchema.parse(mark))}\n`, { mode: 0o600 });
  await rename(`${path}.tmp`, path);
}
