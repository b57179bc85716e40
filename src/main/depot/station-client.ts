// A station's calls to its depot: one connection as the station's login role, through which it only
// ever calls the depot's ingest functions (migrations.ts), each checked against its key fingerprint.
import pg from 'pg';
import { DEPOT_STREAMS, type DepotCredentials, type DepotHeads, type DepotStream } from '../../shared/depot.ts';
import { stationConnection } from './connection.ts';
import type { RecordRow, StreamRow } from './station-source.ts';

export interface StationClient {
  /** What the depot holds of this station: where the sync resumes. */
  readonly hello: () => Promise<DepotHeads>;
  /** Sends rows of one stream in id order; returns the highest id the depot now holds. */
  readonly ingestRows: (stream: Exclude<DepotStream, 'records'>, rows: readonly StreamRow[]) => Promise<number>;
  /** Sends records in chain order; returns the highest seq the depot now holds. */
  readonly ingestRecords: (records: readonly RecordRow[]) => Promise<number>;
  /** False once the connection broke (the server went away): the next call would fail. */
  readonly alive: () => boolean;
  readonly close: () => Promise<void>;
}

export async function connectStation(credentials: DepotCredentials, timeoutMs: number): Promise<StationClient> {
  const client = new pg.Client(stationConnection(credentials, timeoutMs));
  // A connection that breaks while idle emits 'error' (or just 'end'); the next call then fails and says why.
  let alive = true;
  client.on('error', () => (alive = false));
  client.on('end', () => (alive = false));
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  const key = credentials.keyFingerprint;
  const head = async (sql: string, values: unknown[]): Promise<number> => Number((await client.query<{ head: string }>(sql, values)).rows[0]?.head);
  return {
    async hello() {
      const row = (await client.query('SELECT * FROM depot.hello($1)', [key])).rows[0] as Record<string, string>;
      const heads = Object.fromEntries(DEPOT_STREAMS.map((stream) => [stream, Number(row[`head_${stream}`])])) as Record<DepotStream, number>;
      return { ...heads, recordHash: String(row.head_record_hash) };
    },
    ingestRows: (stream, rows) =>
      head(`SELECT depot.ingest_${stream}($1, $2, $3) AS head`, [key, rows.map((row) => row.id), rows.map((row) => row.body)]),
    ingestRecords: (records) =>
      head('SELECT depot.ingest_records($1, $2, $3, $4, $5) AS head', [
        key,
        records.map((record) => record.id),
        records.map((record) => record.prevHash),
        records.map((record) => record.hash),
        records.map((record) => record.body),
      ]),
    alive: () => alive,
    close: () => client.end().catch(() => undefined),
  };
}
