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

/**
 * `inWriteTransaction` committed with synchronous=NORMAL: durable when the station crashes (the WAL
 * is in the OS's page cache), not yet when the power goes, and without an fsync on the station's
 * one thread. For the pipeline's step events, a dozen per handset: a power cut can lose the last of
 * them, which the pipeline re-proves by readback, and it makes them durable (`WalSync`) before any
 * irreversible step. Every other commit, and the next of them, syncs the WAL with all it holds.
 */
export function inUnsyncedWriteTransaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec('PRAGMA synchronous = NORMAL');
  try {
    return inWriteTransaction(db, work);
  } finally {
    db.exec('PRAGMA synchronous = FULL');
  }
}
