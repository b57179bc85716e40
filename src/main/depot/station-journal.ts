// What the depot side writes into the station's SQLite: the tag leases its depot granted, the
// operator changes made at the depot, and an admin's resolution of an operator clash. Each goes through a short-lived write connection of its own
// (the worker reads through a read-only one) and commits with a full sync: a lease must be on stable
// storage before any tag is drawn from it (src/main/records/tag-leases.ts).
import type { DatabaseSync } from 'node:sqlite';
import type { OperatorClashResolution, TagLease } from '../../shared/depot.ts';
import { openDatabase } from '../records/database.ts';
import { createDepotOperators } from '../records/depot-operators.ts';
import { createTagLeases } from '../records/tag-leases.ts';

function withJournal<T>(databasePath: string, work: (db: DatabaseSync) => T): T {
  const db = openDatabase(databasePath);
  try {
    return work(db);
  } finally {
    db.close();
  }
}

/** Returns how many of the leases were new to the journal. */
export function journalLeases(databasePath: string, leases: readonly TagLease[], now: () => Date): number {
  if (leases.length === 0) return 0;
  return withJournal(databasePath, (db) => {
    const journal = createTagLeases(db, now);
    return leases.filter((lease) => journal.journal(lease)).length;
  });
}

/** Applies the depot's operator changes (validated there) and confirms the copy as of now; returns how many were new. */
export function journalOperatorChanges(databasePath: string, changes: readonly unknown[], offlineSignInS: number, now: () => Date): number {
  return withJournal(databasePath, (db) => createDepotOperators(db, now).apply(changes, offlineSignInS));
}

/** An admin's resolution of a clash between one of the station's own operators and the depot's (depot-operators.ts). */
export function journalClashResolution(
  databasePath: string,
  resolution: { operatorId: string; resolution: OperatorClashResolution; renameTo: string | null; byAdmin: string },
): void {
  withJournal(databasePath, (db) =>
    createDepotOperators(db, () => new Date()).resolveClash(resolution.byAdmin, resolution.operatorId, resolution.resolution, resolution.renameTo),
  );
}
