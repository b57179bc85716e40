// What an export reads from. Each export opens a connection of its own and reads inside one WAL
// snapshot: the station can keep committing records while a long export runs, and the export
// still describes one consistent chain head.
import type { DatabaseSync } from 'node:sqlite';
import type { RecordFilter } from '../../shared/records.ts';
import { openDatabase } from './database.ts';
import { createProvisioningLog, type ProvisioningLog } from './provisioning-log.ts';
import type { StationIdentity } from './station-identity.ts';

export interface ExportSource {
  readonly databasePath: string;
  readonly identity: StationIdentity;
  readonly now: () => Date;
}

export interface ExportRequest {
  readonly source: ExportSource;
  readonly filter: RecordFilter;
  readonly out: string;
}

/** How much an export wrote, for the operator's confirmation line. */
export interface ExportSummary {
  records: number;
  headSeq: number;
  headHash: string;
  /** Something the operator should know about the file written (a PDF drawn without a CJK font). */
  warning?: string;
}

type SnapshotReader<T> = (db: DatabaseSync, log: ProvisioningLog) => T;

function openSnapshot(source: ExportSource): { db: DatabaseSync; log: ProvisioningLog; close: () => void } {
  const db = openDatabase(source.databasePath);
  try {
    db.exec('BEGIN DEFERRED');
  } catch (error) {
    db.close();
    throw error;
  }
  const close = (): void => {
    try {
      db.exec('COMMIT');
    } finally {
      db.close();
    }
  };
  return { db, log: createProvisioningLog(db, source.now), close };
}

/** Streams what `read` yields from one snapshot; the connection closes when the stream ends or stops. */
export function* fromSnapshot<T>(source: ExportSource, read: SnapshotReader<Iterable<T>>): Generator<T> {
  const snapshot = openSnapshot(source);
  try {
    yield* read(snapshot.db, snapshot.log);
  } finally {
    snapshot.close();
  }
}

export function withSnapshot<T>(source: ExportSource, read: SnapshotReader<T>): T {
  const snapshot = openSnapshot(source);
  try {
    return read(snapshot.db, snapshot.log);
  } finally {
    snapshot.close();
  }
}
