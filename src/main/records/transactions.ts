import type { DatabaseSync } from 'node:sqlite';

/**
 * Runs `work` in a write transaction. BEGIN IMMEDIATE takes the write lock up front, so two
 * stations processes appending to one chain queue up instead of both reading the same head.
 */
export function inWriteTransaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}

/** Runs `work` on one consistent snapshot (a WAL read transaction), e.g. an export. */
export function inReadSnapshot<T>(db: DatabaseSync, work: () => T): T {
  db.exec('BEGIN DEFERRED');
  try {
    return work();
  } finally {
    db.exec('COMMIT');
  }
}
