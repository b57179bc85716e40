// The depot's rules as PostgreSQL enforces them: the schema's migrations re-run harmlessly, a
// station's login role can only call the ingest functions for itself, the auditor reads and never
// writes, a station name belongs to one key, and the ingest function checks every record's chain
// link and hash itself; a depot an older Lockstep left at schema 6 is upgraded with its rows kept.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initDepot, withClient } from '../../../src/main/depot/admin.ts';
import { changeDepotOperator, depotOperators } from '../../../src/main/depot/operators-admin.ts';
import { scramVerifier } from '../../../src/main/depot/scram.ts';
import { createDepotSync } from '../../../src/main/depot/sync.ts';
import { DEPOT_SCHEMA_VERSION, migrateDepot, REFUSAL_CODES } from '../../../src/main/depot/migrations.ts';
import { canonicalJson } from '../../../src/main/records/canonical-json.ts';
import { signUnfilteredHead } from '../../../src/main/records/signed-head.ts';
import { identityOf } from '../../../src/main/records/station-identity.ts';
import { generateKeyPairSync } from 'node:crypto';
import { chainHash, GENESIS_HASH } from '../../../src/main/records/chain.ts';
import type { DepotCredentials } from '../../../src/shared/depot.ts';
import { startPostgres, type PostgresServer } from '../../support/postgres-server.ts';
import { createStationFixture } from '../records/fixture.ts';
import { connectAsStation, createDepot, POSTGRES_MISSING, refusal, registerStation } from './fixture.ts';

const fingerprint = (): string => randomBytes(32).toString('hex');

let server: PostgresServer;
let depot: Awaited<ReturnType<typeof createDepot>>;

beforeAll(async () => {
  if (POSTGRES_MISSING) return;
  server = await startPostgres();
  depot = await createDepot(server);
}, 120_000);

afterAll(() => server?.destroy());

/** A chain of `count` records whose bodies hold the given extra field, linked from `prevHash`. */
function chain(count: number, from = { seq: 0, hash: GENESIS_HASH }, note = 'ok') {
  const links: { seq: number; prevHash: string; hash: string; body: string }[] = [];
  let previous = from;
  for (let i = 1; i <= count; i += 1) {
    const body = canonicalJson({ seq: previous.seq + 1, serial: `SN${previous.seq + 1}`, note });
    const hash = chainHash(previous.hash, body);
    links.push({ seq: previous.seq + 1, prevHash: previous.hash, hash, body });
    previous = { seq: previous.seq + 1, hash };
  }
  return links;
}

function ingest(client: pg.Client, key: string, links: ReturnType<typeof chain>) {
  return client.query<{ head: string }>('SELECT depot.ingest_records($1, $2, $3, $4, $5) AS head', [
    key,
    links.map((link) => link.seq),
    links.map((link) => link.prevHash),
    links.map((link) => link.hash),
    links.map((link) => link.body),
  ]);
}

describe.skipIf(POSTGRES_MISSING)('the depot schema in a real PostgreSQL', () => {
  it('init re-runs without changing anything: the version stays, the stations stay', async () => {
    const key = fingerprint();
    await registerStation(server, depot, key);
    const again = await initDepot(depot.admin);
    expect(again).toEqual({ from: DEPOT_SCHEMA_VERSION, to: DEPOT_SCHEMA_VERSION });
    const admin = new pg.Client(depot.admin);
    await admin.connect();
    try {
      const versions = await admin.query('SELECT version FROM depot.schema_migrations ORDER BY version');
      expect(versions.rows).toEqual(Array.from({ length: DEPOT_SCHEMA_VERSION }, (_, i) => ({ version: i + 1 })));
      const stations = await admin.query('SELECT key_fingerprint FROM depot.stations WHERE key_fingerprint = $1', [key]);
      expect(stations.rowCount).toBe(1);
    } finally {
      await admin.end();
    }
  });

  it('a second station claiming a registered name is refused, and so is a registered key under a new name', async () => {
    const first = await registerStation(server, depot, fingerprint());
    await expect(registerStation(server, depot, fingerprint(), first.station)).rejects.toThrow(/already registered, to the key/);
    await expect(registerStation(server, depot, first.keyFingerprint)).rejects.toThrow(/already registered as station/);
  });

  it("a station's role cannot UPDATE, DELETE, INSERT for another station, read another's rows, or speak with another key", async () => {
    const keyA = fingerprint();
    const alpha = await registerStation(server, depot, keyA);
    const beta = await registerStation(server, depot, fingerprint());
    const asAlpha = await connectAsStation(alpha);
    const asBeta = await connectAsStation(beta);
    try {
      const links = chain(2);
      expect((await ingest(asAlpha, keyA, links)).rows[0]?.head).toBe('2');

      const denied = '42501';
      expect((await refusal(asAlpha.query("UPDATE depot.records SET body = '{}'::json WHERE station = $1", [alpha.station]))).code).toBe(denied);
      expect((await refusal(asAlpha.query('DELETE FROM depot.records WHERE station = $1', [alpha.station]))).code).toBe(denied);
      expect((await refusal(asAlpha.query('TRUNCATE depot.records'))).code).toBe(denied);
      const forged = chain(1)[0]!;
      const insert = 'INSERT INTO depot.records (station, seq, prev_hash, hash, body) VALUES ($1, $2, $3, $4, $5::json)';
      expect((await refusal(asBeta.query(insert, [alpha.station, 3, forged.prevHash, forged.hash, forged.body]))).code).toBe(denied);
      expect((await refusal(asBeta.query(insert, [beta.station, 1, forged.prevHash, forged.hash, forged.body]))).code).toBe(denied);
      expect((await refusal(asBeta.query('INSERT INTO depot.stations (name, key_fingerprint, role_name) VALUES ($1, $2, $3)', ['intruder', fingerprint(), 'x']))).code).toBe(denied);
      expect((await refusal(asBeta.query("SELECT depot.register_station('intruder', $1, 'SCRAM-SHA-256$x')", [fingerprint()]))).code).toBe(denied);

      // Beta sees none of alpha's rows; alpha sees its own.
      expect((await asBeta.query('SELECT seq FROM depot.records')).rowCount).toBe(0);
      expect((await asAlpha.query('SELECT seq FROM depot.records ORDER BY seq')).rows).toEqual([{ seq: '1' }, { seq: '2' }]);
      expect((await asBeta.query('SELECT name FROM depot.stations')).rows).toEqual([{ name: beta.station }]);

      // Beta calling the ingest function with alpha's key still writes only as beta, and is refused for the key.
      const wrongKey = await refusal(ingest(asBeta, keyA, chain(1)));
      expect(wrongKey.code).toBe(REFUSAL_CODES.wrongKey);
      expect(wrongKey.message).toContain(`station ${beta.station} is registered to the key`);
    } finally {
      await asAlpha.end();
      await asBeta.end();
    }
  });

  it('the administrator cannot rewrite a received record either: the tables are append-only', async () => {
    const key = fingerprint();
    const station = await registerStation(server, depot, key);
    const client = await connectAsStation(station);
    const admin = new pg.Client(depot.admin);
    await admin.connect();
    try {
      await ingest(client, key, chain(1));
      expect((await refusal(admin.query("UPDATE depot.records SET body = '{}'::json WHERE station = $1", [station.station]))).message).toMatch(/append-only: UPDATE refused/);
      expect((await refusal(admin.query('DELETE FROM depot.records WHERE station = $1', [station.station]))).message).toMatch(/append-only: DELETE refused/);
    } finally {
      await client.end();
      await admin.end();
    }
  });

  it('an auditor reads every station and writes nothing', async () => {
    const key = fingerprint();
    const station = await registerStation(server, depot, key);
    const client = await connectAsStation(station);
    const admin = new pg.Client(depot.admin);
    await admin.connect();
    const password = randomBytes(18).toString('base64url');
    const auditorRole = `auditor_${process.pid}`;
    await admin.query(`CREATE ROLE ${auditorRole} LOGIN PASSWORD '${password}' IN ROLE lockstep_auditor`);
    const auditor = new pg.Client({ ...depot.admin, user: auditorRole, password });
    await auditor.connect();
    try {
      await ingest(client, key, chain(3));
      const seen = await auditor.query('SELECT seq FROM depot.records WHERE station = $1 ORDER BY seq', [station.station]);
      expect(seen.rows.map((row) => Number(row.seq))).toEqual([1, 2, 3]);
      expect((await refusal(auditor.query("UPDATE depot.records SET body = '{}'::json"))).code).toBe('42501');
      expect((await refusal(auditor.query('SELECT depot.ingest_records($1, $2, $3, $4, $5)', [key, [4], ['x'], ['y'], ['{}']]))).code).toBe('42501');
    } finally {
      await auditor.end();
      await client.end();
      await admin.end();
    }
  });

  describe('the ingest function', () => {
    let station: DepotCredentials;
    let client: pg.Client;
    const key = fingerprint();

    beforeAll(async () => {
      if (POSTGRES_MISSING) return;
      station = await registerStation(server, depot, key);
      client = await connectAsStation(station);
    });
    afterAll(async () => client?.end());

    it('takes a chain in order and is idempotent on (station, seq): a re-send after a lost acknowledgement changes nothing', async () => {
      const links = chain(5);
      expect((await ingest(client, key, links.slice(0, 3))).rows[0]?.head).toBe('3');
      // The acknowledgement of 1-3 was lost: the station sends 1-5.
      expect((await ingest(client, key, links)).rows[0]?.head).toBe('5');
      expect((await ingest(client, key, links)).rows[0]?.head).toBe('5');
      const held = await client.query('SELECT seq, hash FROM depot.records ORDER BY seq');
      expect(held.rows).toEqual(links.map((link) => ({ seq: String(link.seq), hash: link.hash })));
    });

    it('refuses a record whose body does not match its hash (PostgreSQL hashes the canonical text itself)', async () => {
      const head = (await client.query('SELECT seq, hash FROM depot.records ORDER BY seq DESC LIMIT 1')).rows[0] as { seq: string; hash: string };
      const [next] = chain(1, { seq: Number(head.seq), hash: head.hash });
      const tampered = { ...next!, body: next!.body.replace('"note":"ok"', '"note":"edited"') };
      const refused = await refusal(ingest(client, key, [tampered]));
      expect(refused.code).toBe(REFUSAL_CODES.hashMismatch);
      expect(refused.message).toContain('does not match its hash');
      // Nothing of the call was kept, and the genuine record still goes in.
      expect((await ingest(client, key, [next!])).rows[0]?.head).toBe(String(next!.seq));
    });

    it("refuses a record whose previous hash is not the depot's last hash for the station, a gap, and a changed re-send", async () => {
      const head = (await client.query('SELECT seq, hash FROM depot.records ORDER BY seq DESC LIMIT 1')).rows[0] as { seq: string; hash: string };
      const seq = Number(head.seq);
      const forked = chain(1, { seq, hash: 'f'.repeat(64) });
      const unlinked = await refusal(ingest(client, key, forked));
      expect(unlinked.code).toBe(REFUSAL_CODES.chainBreak);
      expect(unlinked.message).toContain(`but the last hash the depot holds is ${head.hash}`);
      const gap = await refusal(ingest(client, key, chain(1, { seq: seq + 1, hash: head.hash })));
      expect(gap.code).toBe(REFUSAL_CODES.chainBreak);
      const rewritten = chain(1, { seq: 0, hash: GENESIS_HASH }, 'rewritten');
      const conflict = await refusal(ingest(client, key, rewritten));
      expect(conflict.code).toBe(REFUSAL_CODES.conflict);
    });

    it('hashes hostile text byte for byte as the station does: controls, U+202E, astral characters, lone surrogates', async () => {
      const head = (await client.query('SELECT seq, hash FROM depot.records ORDER BY seq DESC LIMIT 1')).rows[0] as { seq: string; hash: string };
      let previous = { seq: Number(head.seq), hash: head.hash };
      for (const serial of ['A\u0000B\u001b[31m', 'RTL\u202Eevil', 'emoji\u{1F600}é', 'lone\uD800x\uDFFF', 'quote"back\\slash']) {
        const body = canonicalJson({ seq: previous.seq + 1, serial });
        const hash = chainHash(previous.hash, body);
        await ingest(client, key, [{ seq: previous.seq + 1, prevHash: previous.hash, hash, body }]);
        previous = { seq: previous.seq + 1, hash };
      }
      const held = await client.query('SELECT hash FROM depot.records ORDER BY seq DESC LIMIT 1');
      expect(held.rows[0]?.hash).toBe(previous.hash);
    });
  });

  describe('signed heads and station reports (migration 4)', () => {
    it('takes a head signed by the registered key of a record the depot holds; refuses another key, an unheld head and any direct write', async () => {
      const identity = identityOf(generateKeyPairSync('ed25519').privateKey);
      const other = identityOf(generateKeyPairSync('ed25519').privateKey);
      const station = await registerStation(server, depot, identity.fingerprint);
      const client = await connectAsStation(station);
      try {
        const links = chain(2);
        await ingest(client, identity.fingerprint, links);
        const send = (head: ReturnType<typeof signUnfilteredHead>, key = identity.fingerprint) =>
          client.query('SELECT depot.ingest_signed_head($1, $2, $3, $4, $5, $6, $7)', [
            key, head.headSeq, head.headHash, head.exportedAt, head.format, head.stationPublicKey, head.signature,
          ]);
        const at = new Date('2026-12-05T09:00:00.000Z');
        const head = signUnfilteredHead(identity, { seq: 2, hash: links[1]?.hash ?? '' }, at);
        await send(head);
        await send(head);
        expect((await client.query('SELECT head_seq, head_hash, public_key FROM depot.signed_heads')).rows).toEqual([
          { head_seq: '2', head_hash: head.headHash, public_key: identity.publicKey },
        ]);
        // Another key, even naming the registered fingerprint, is refused: PostgreSQL hashes the key itself.
        expect((await refusal(send(signUnfilteredHead(other, { seq: 1, hash: links[0]?.hash ?? '' }, at)))).code).toBe(REFUSAL_CODES.wrongKey);
        expect((await refusal(send(signUnfilteredHead(identity, { seq: 3, hash: links[1]?.hash ?? '' }, at)))).code).toBe(REFUSAL_CODES.headNotHeld);
        expect((await refusal(client.query("INSERT INTO depot.station_reports (station, reported_at, backlog) VALUES ($1, now(), '{}')", [station.station]))).code).toBe('42501');
        expect((await refusal(client.query('UPDATE depot.signed_heads SET signature = signature'))).code).toBe('42501');

        const report = (refusalText: string | null) =>
          client.query('SELECT depot.report_station($1, $2, $3, $4, $5, $6)', [identity.fingerprint, '{"records":3}', refusalText, 12, 0, '12 tags left; connect the depot']);
        await report(null);
        await report('the depot said: no');
        const admin = new pg.Client(depot.admin);
        await admin.connect();
        try {
          const held = await admin.query('SELECT backlog, refusal, tags_left, tag_warning FROM depot.station_reports WHERE station = $1', [station.station]);
          expect(held.rows).toEqual([{ backlog: { records: 3 }, refusal: 'the depot said: no', tags_left: 12, tag_warning: '12 tags left; connect the depot' }]);
        } finally {
          await admin.end();
        }
      } finally {
        await client.end();
      }
    });
  });
});

// A depot an older Lockstep made, at schema 6, holding a station's rows and operators, upgraded by
// `lockstep depot init` to this version: every row kept, and the rules of migrations 7 to 9 in force.
describe.skipIf(POSTGRES_MISSING)('a depot at schema 6 upgraded', () => {
  it('keeps its stations, records and operators, and takes role changes (7), re-issues (8) and offers under a join id (9)', async () => {
    const database = `upgrade_${process.pid}`;
    server.createDatabase(database);
    const config = server.adminConfig(database);
    expect(await withClient(config, (client) => migrateDepot(client, 6))).toEqual({ from: 0, to: 6 });
    await changeDepotOperator(config, { change: 'added', id: 'depot.head', displayName: 'Depot Head', role: 'admin', pin: '31415926' });
    await changeDepotOperator(config, { change: 'added', id: 'tech.old', displayName: 'Old Tech', role: 'technician', pin: '24681357' });
    const station = createStationFixture();
    station.provision({ serial: 'UPG00001', imei: null });
    station.provision({ serial: 'UPG00002', imei: null });
    const credentials = await registerStation(server, { database, admin: config }, station.records.identity.fingerprint);
    const drain = async () => {
      const sync = createDepotSync({ databasePath: station.records.databasePath, credentials });
      try {
        return await sync.drain();
      } finally {
        await sync.stop();
      }
    };
    const asStation = await connectAsStation(credentials);
    const admin = new pg.Client(config);
    await admin.connect();
    try {
      expect(await drain()).toMatchObject({ records: 2 });
      // Schema 6 journals no joins.
      expect(await refusal(asStation.query('SELECT depot.record_join($1)', [credentials.keyFingerprint]))).toMatchObject({ code: '42883' });
      const held = async () => ({
        stations: (await admin.query('SELECT name, key_fingerprint, role_name FROM depot.stations ORDER BY name')).rows,
        records: (await admin.query('SELECT station, seq, prev_hash, hash, body::text AS body FROM depot.records ORDER BY station, seq')).rows,
        stepEvents: (await admin.query('SELECT station, id, body::text AS body FROM depot.step_events ORDER BY station, id')).rows,
        operators: (await admin.query('SELECT id, operator_id, change, display_name, role, pin_hash, disabled, made_by FROM depot.operator_changes ORDER BY id')).rows,
        proofs: (await admin.query('SELECT change_id, kdf, verifier FROM depot.operator_pin_proofs ORDER BY change_id')).rows,
        leases: (await admin.query('SELECT id, station, first_seq, last_seq FROM depot.tag_leases ORDER BY id')).rows,
      });
      const before = await held();
      expect(before.records).toHaveLength(2);
      expect(before.stepEvents.length).toBeGreaterThan(0);

      expect(await initDepot(config)).toEqual({ from: 6, to: DEPOT_SCHEMA_VERSION });
      expect(await held()).toEqual(before);
      const versions = await admin.query<{ version: number }>('SELECT version FROM depot.schema_migrations ORDER BY version');
      expect(versions.rows.map((row) => row.version)).toEqual(Array.from({ length: DEPOT_SCHEMA_VERSION }, (_, i) => i + 1));

      // 7: a role change, journaled on the operator kept from schema 6; demoting the last admin refused.
      expect(await changeDepotOperator(config, { change: 'role-changed', id: 'tech.old', role: 'supervisor' })).toMatchObject({ role: 'supervisor' });
      await expect(changeDepotOperator(config, { change: 'role-changed', id: 'depot.head', role: 'technician' })).rejects.toMatchObject({
        code: REFUSAL_CODES.lastAdmin,
      });
      // 9: a join answers its id, an offer is taken under the latest join only, and the offer naming no join is gone.
      const pinHash = 'scrypt$16384$8$1$c2FsdA==$aGFzaA==';
      const join = async () => Number((await asStation.query<{ join_id: string }>('SELECT join_id FROM depot.record_join($1)', [credentials.keyFingerprint])).rows[0]?.join_id);
      const offer = (joinId: number, id: string) =>
        asStation.query('SELECT depot.offer_operators($1, $2, $3, $4, $5, $6)', [credentials.keyFingerprint, joinId, [id], ['New One'], ['technician'], [pinHash]]);
      const first = await join();
      const second = await join();
      expect(await refusal(offer(first, 'tech.new'))).toMatchObject({ code: REFUSAL_CODES.offerJoinSuperseded });
      await offer(second, 'tech.new');
      expect(
        await refusal(asStation.query('SELECT depot.offer_operators($1, $2, $3, $4, $5)', [credentials.keyFingerprint, ['x.y'], ['X'], ['admin'], [pinHash]])),
      ).toMatchObject({ code: '42883' });
      expect((await depotOperators(config)).map((operator) => operator.id)).toEqual(['depot.head', 'tech.new', 'tech.old']);
      // The station's sync goes on from where the depot was, the new operator copied back with it.
      station.provision({ serial: 'UPG00003', imei: null });
      expect(await drain()).toMatchObject({ records: 1 });
      expect((await admin.query('SELECT count(*)::int AS n FROM depot.records')).rows).toEqual([{ n: 3 }]);
      expect(station.records.operators.get('tech.new')?.displayName).toBe('New One');
      // 8: the station's password re-issued, journaled.
      await admin.query('SELECT depot.reissue_station($1, $2)', [credentials.station, scramVerifier(randomBytes(32).toString('base64url'))]);
      expect((await admin.query('SELECT station FROM depot.credential_reissues')).rows).toEqual([{ station: credentials.station }]);
    } finally {
      await asStation.end();
      await admin.end();
      station.cleanup();
    }
  }, 120_000);
});
