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
    // Some errors (disk full, I/O) end the transaction inside SQLite; a ROLLBACK then fails and
    // would hide the error the operator needs to see.
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}
