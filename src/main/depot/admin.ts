// What the depot's administrator does: create or update the schema, register stations.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { CREDENTIALS_FORMAT, keyFingerprintSchema, stationNameSchema, type DepotCredentials, type DepotTls } from '../../shared/depot.ts';
import { DepotError } from './errors.ts';
import { migrateDepot, type MigrationResult } from './migrations.ts';
import { scramVerifier } from './scram.ts';
import { asDepotError } from './refusals.ts';

/** Runs `work` with one connection made from `config`, turning PostgreSQL's errors into DepotErrors. */
export async function withClient<T>(config: pg.ClientConfig, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(config);
  // A connection that breaks while idle emits 'error'; the next call reports it instead.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await work(client);
  } catch (error) {
    throw asDepotError(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function initDepot(config: pg.ClientConfig): Promise<MigrationResult> {
  return withClient(config, migrateDepot);
}

export interface NewStation {
  readonly name: string;
  readonly keyFingerprint: string;
  /** Where stations reach the depot, as written into the credentials file. */
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly tls: DepotTls;
}

/**
 * Registers a station and creates its login role with a fresh random password, which leaves this
 * process only inside the returned credentials (PostgreSQL receives its SCRAM verifier).
 */
export async function addStation(config: pg.ClientConfig, station: NewStation): Promise<DepotCredentials> {
  const name = stationNameSchema.safeParse(station.name);
  if (!name.success) throw new DepotError(`station name: ${name.error.issues[0]?.message ?? 'invalid'}`);
  const fingerprint = keyFingerprintSchema.safeParse(station.keyFingerprint);
  if (!fingerprint.success) throw new DepotError(`--key-fingerprint: ${fingerprint.error.issues[0]?.message ?? 'invalid'}`);
  const password = randomBytes(32).toString('base64url');
  const role = await withClient(config, async (client) => {
    const result = await client.query<{ role: string }>('SELECT depot.register_station($1, $2, $3) AS role', [name.data, fingerprint.data, scramVerifier(password)]);
    return result.rows[0]?.role ?? '';
  });
  return {
    format: CREDENTIALS_FORMAT,
    station: name.data,
    keyFingerprint: fingerprint.data,
    host: station.host,
    port: station.port,
    database: station.database,
    user: role,
    password,
    tls: station.tls,
  };
}
