// Journals the tag leases a depot granted into the station's SQLite, through a short-lived write
// connection of its own: the sync worker reads through a read-only one, and a lease must be on
// stable storage before any tag is drawn from it (src/main/records/tag-leases.ts).
import type { TagLease } from '../../shared/depot.ts';
import { openDatabase } from '../records/database.ts';
import { createTagLeases } from '../records/tag-leases.ts';

/** Returns how many of the leases were new to the journal. */
export function journalLeases(databasePath: string, leases: readonly TagLease[], now: () => Date): number {
  if (leases.length === 0) return 0;
  const db = openDatabase(databasePath);
  try {
    const journal = createTagLeases(db, now);
    return leases.filter((lease) => journal.journal(lease)).length;
  } finally {
    db.close();
  }
}
