// A depot for the depot tests: a throwaway PostgreSQL (tests/support/postgres-server.ts) with one
// database per test that needs one, prepared by the same code `lockstep depot init` runs.
import pg from 'pg';
import { addStation, initDepot } from '../../../src/main/depot/admin.ts';
import { stationConnection } from '../../../src/main/depot/connection.ts';
import type { DepotCredentials } from '../../../src/shared/depot.ts';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { postgresUnavailable, startPostgres, type PostgresServer } from '../../support/postgres-server.ts';
import { suiteSkipReason } from '../../support/tools.ts';

/** Why these tests cannot run here (they then skip, saying so; in CI they fail), or null. */
export const POSTGRES_MISSING = suiteSkipReason(postgresUnavailable());

/**
 * One throwaway PostgreSQL for a test file: started before its tests (unless POSTGRES_MISSING), removed
 * after them. What a test pushes onto `cleanups` runs after it, last first. A file's own hooks registered
 * after this call run after its start and before its removal.
 */
export function postgresPerFile(): { readonly server: () => PostgresServer; readonly cleanups: (() => unknown)[] } {
  let server: PostgresServer | undefined;
  const cleanups: (() => unknown)[] = [];
  beforeAll(async () => {
    if (POSTGRES_MISSING) return;
    server = await startPostgres();
  }, 120_000);
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(() => server?.destroy());
  return {
    server: () => {
      if (!server) throw new Error('the test PostgreSQL is not running');
      return server;
    },
    cleanups,
  };
}

let databases = 0;

/** A new database holding an initialised depot; the name is unique within the server. */
export async function createDepot(server: PostgresServer): Promise<{ database: string; admin: pg.ClientConfig }> {
  databases += 1;
  const database = `depot_${process.pid}_${databases}`;
  server.createDatabase(database);
  const admin = server.adminConfig(database);
  await initDepot(admin);
  return { database, admin };
}

let stations = 0;

/** Registers a station under a name unique in the server (roles are cluster-wide). */
export async function registerStation(server: PostgresServer, depot: { database: string; admin: pg.ClientConfig }, keyFingerprint: string, name?: string): Promise<DepotCredentials> {
  stations += 1;
  return addStation(depot.admin, {
    name: name ?? `st${process.pid}_${stations}`,
    keyFingerprint,
    host: server.host,
    port: server.port,
    database: depot.database,
    tls: { mode: 'disable' },
  });
}

/** A connected client as the station's own login role. */
export async function connectAsStation(credentials: DepotCredentials): Promise<pg.Client> {
  const client = new pg.Client(stationConnection(credentials, 10_000));
  await client.connect();
  return client;
}

/** The rejection's SQLSTATE and message, for asserting what PostgreSQL refused and why. */
export async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return { code: String((error as { code?: unknown }).code), message: (error as Error).message };
  }
  throw new Error('expected PostgreSQL to refuse, but it accepted');
}

/** Polls `condition` until it holds, failing after `ms` with what was awaited. */
export async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 90_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
