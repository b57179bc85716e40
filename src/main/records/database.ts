// Opening the station database with the settings every connection needs. See docs/records.md for
// why WAL with synchronous=FULL: a commit returns only once the WAL is on stable storage, so a
// record the station reported as written survives a crash or a power cut.
import { describeFailure } from '../../shared/describe-failure.ts';
import { DatabaseSync } from 'node:sqlite';
import { displaySafe } from '../../shared/untrusted.ts';
import { RecordsError } from './errors.ts';
import { applyMigrations } from './migrations.ts';

/** How long a connection waits for another process's write lock before reporting "busy". */
const BUSY_TIMEOUT_MS = 5000;

export function openDatabase(path: string): DatabaseSync {
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path, { enableForeignKeyConstraints: true, timeout: BUSY_TIMEOUT_MS });
  } catch (error) {
    const reason = describeFailure(error);
    throw new RecordsError('RECORDS_REFUSED', `cannot open the records database ${displaySafe(path)}: ${reason}. Check the path and its permissions.`, {
      detail: 'DATABASE_UNOPENABLE',
      params: { file: displaySafe(path) },
    });
  }
  try {
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const mode = db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode: string };
    if (mode.journal_mode.toLowerCase() !== 'wal') {
      throw new RecordsError(
        'RECORDS_REFUSED',
        `the records database ${displaySafe(path)} cannot use write-ahead logging (got ${mode.journal_mode}); keep it on a local disk.`,
        { detail: 'DATABASE_NO_WAL', params: { file: displaySafe(path) } },
      );
    }
    db.exec('PRAGMA synchronous = FULL');
    db.exec('PRAGMA foreign_keys = ON');
    applyMigrations(db, path);
    return db;
  } catch (error) {
    db.close();
    if (error instanceof RecordsError) throw error;
    const reason = describeFailure(error);
    throw new RecordsError('RECORDS_REFUSED', `cannot use the records database ${displaySafe(path)}: ${reason}. Is it a Lockstep records database?`, {
      detail: 'DATABASE_UNUSABLE',
      params: { file: displaySafe(path) },
    });
  }
}
