// Closing a station's sync after its PostgreSQL restarted (or went away) underneath it: the worker
// holds a connection the server dropped, and closing it must not wait on node-postgres' end() for an
// answer that can never come. Each case awaits stop(); a hang fails the test by its timeout. A restart
// or a stopped server closes the socket, so end() returns; a server fallen silent (the relay below)
// made end() wait forever until close() was bounded (bounded-close.ts, for the stations' and the
// administrator's connections alike).
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { withClient } from '../../../src/main/depot/admin.ts';
import { writeCredentialsFile } from '../../../src/main/depot/connection.ts';
import { DEPOT_SCHEMA_VERSION } from '../../../src/main/depot/migrations.ts';
import { connectStation } from '../../../src/main/depot/station-client.ts';
import { joinDepot } from '../../../src/main/depot/station-depot.ts';
import { createDepotSync } from '../../../src/main/depot/sync.ts';
import type { DepotCredentials } from '../../../src/shared/depot.ts';
import { createStationFixture, type StationFixture } from '../records/fixture.ts';
import { createDepot, POSTGRES_MISSING, postgresPerFile, registerStation, until } from './fixture.ts';

let depot: Awaited<ReturnType<typeof createDepot>>;
const { server: pgServer, cleanups } = postgresPerFile();

beforeAll(async () => {
  if (POSTGRES_MISSING) return;
  depot = await createDepot(pgServer());
}, 120_000);

async function joinedStation(): Promise<{ station: StationFixture; credentials: DepotCredentials }> {
  const station = createStationFixture();
  cleanups.push(() => station.cleanup());
  station.provision({ serial: 'CR00001', imei: null });
  const credentials = await registerStation(pgServer(), depot, station.records.identity.fingerprint);
  const credentialsPath = join(station.dir, 'handed-over.json');
  await writeCredentialsFile(credentialsPath, credentials);
  await joinDepot({ databasePath: station.records.databasePath, credentialsPath, stationFingerprint: station.records.identity.fingerprint });
  return { station, credentials };
}

/**
 * A relay to PostgreSQL that can fall silent as a pulled cable or a dead host does: from then on
 * nothing passes either way and nothing is answered, not even the end of a connection (half-open
 * sockets are kept), so a client waiting for the server to close its side waits forever.
 */
async function silentRelay(target: { host: string; port: number }): Promise<{ port: number; silence: () => void; close: () => void }> {
  const sockets = new Set<Socket>();
  let silent = false;
  const server = createServer({ allowHalfOpen: true }, (inbound) => {
    const outbound = connect({ host: target.host, port: target.port, allowHalfOpen: true });
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
    }
    inbound.on('data', (chunk) => silent || outbound.write(chunk));
    outbound.on('data', (chunk) => silent || inbound.write(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    silence: () => (silent = true),
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

describe.skipIf(POSTGRES_MISSING)('closing a sync whose PostgreSQL restarted under it', () => {
  it.each(['fast', 'immediate'] as const)('a worker idle on a connection the server dropped (pg_ctl stop -m %s, then start) stops', async (mode) => {
    const { station, credentials } = await joinedStation();
    // A long poll: the worker sits on its connection and does not notice the restart before it is stopped.
    const sync = createDepotSync({ databasePath: station.records.databasePath, credentials, settings: { pollMs: 600_000, timeoutMs: 5_000 } });
    sync.start();
    await until(() => sync.state().kind === 'connected', 'the sync to connect');
    pgServer().stop(mode);
    pgServer().start();
    await sync.stop();
    expect(sync.state().kind).toBe('connected');
  }, 60_000);

  it('a worker whose PostgreSQL is still down stops', async () => {
    const { station, credentials } = await joinedStation();
    const sync = createDepotSync({ databasePath: station.records.databasePath, credentials, settings: { pollMs: 600_000, timeoutMs: 5_000 } });
    sync.start();
    await until(() => sync.state().kind === 'connected', 'the sync to connect');
    pgServer().stop('immediate');
    try {
      await sync.stop();
    } finally {
      pgServer().start();
    }
  }, 60_000);

  it('a worker whose depot fell silent (no answer, not even to closing the connection) stops', async () => {
    const { station, credentials } = await joinedStation();
    const relay = await silentRelay({ host: credentials.host, port: credentials.port });
    cleanups.push(() => relay.close());
    const sync = createDepotSync({
      databasePath: station.records.databasePath,
      credentials: { ...credentials, port: relay.port },
      settings: { pollMs: 600_000, timeoutMs: 2_000 },
    });
    sync.start();
    await until(() => sync.state().kind === 'connected', 'the sync to connect');
    relay.silence();
    await sync.stop();
  }, 60_000);

  it("the administrator's connection (lockstep depot init, status, operators…) to a depot fallen silent closes", async () => {
    const relay = await silentRelay({ host: pgServer().host, port: pgServer().port });
    cleanups.push(() => relay.close());
    const answer = await withClient({ ...depot.admin, port: relay.port }, async (client) => {
      const row = (await client.query<{ version: number }>('SELECT max(version) AS version FROM depot.schema_migrations')).rows[0];
      // From here on the depot answers nothing, not even the end of the connection.
      relay.silence();
      return row?.version;
    });
    expect(answer).toBe(DEPOT_SCHEMA_VERSION);
  }, 60_000);

  it("a station client closed mid-call after the server went away: close() settles and the call fails", async () => {
    const { credentials } = await joinedStation();
    const client = await connectStation(credentials, 5_000);
    pgServer().stop('immediate');
    try {
      const call = client.hello();
      await Promise.all([client.close(), expect(call).rejects.toThrow()]);
      expect(client.alive()).toBe(false);
    } finally {
      pgServer().start();
    }
  }, 60_000);
});
