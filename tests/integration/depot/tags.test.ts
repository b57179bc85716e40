// Asset tags unique across a real PostgreSQL depot: stations leasing at once get disjoint blocks of
// numbers; a station cut off from the depot keeps tagging from its lease, warns before it runs out,
// and once out records its handsets with their tag pending (never an invented one) until the next
// lease; the depot's constraints refuse a number or a tag twice, whoever tries.
import { randomBytes } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { depotOverview, depotTagSettings } from '../../../src/main/depot/admin.ts';
import { writeCredentialsFile } from '../../../src/main/depot/connection.ts';
import { REFUSAL_CODES } from '../../../src/main/depot/migrations.ts';
import { connectStation } from '../../../src/main/depot/station-client.ts';
import { joinDepot } from '../../../src/main/depot/station-depot.ts';
import { createDepotSync } from '../../../src/main/depot/sync.ts';
import { createLabelStore } from '../../../src/main/labels/label-store.ts';
import { createTagLeases } from '../../../src/main/records/tag-leases.ts';
import type { DepotCredentials, DepotSyncState, TagLease } from '../../../src/shared/depot.ts';
import { describeDepotState } from '../../../src/main/cli/depot-state.ts';
import { createStationFixture, TECHNICIAN, type StationFixture } from '../records/fixture.ts';
import { connectAsStation, createDepot, POSTGRES_MISSING, postgresPerFile, refusal, registerStation } from './fixture.ts';

const { server: pgServer, cleanups } = postgresPerFile();

type Depot = Awaited<ReturnType<typeof createDepot>>;

/** A depot of its own (tag numbers are depot-wide), granting leases of `leaseSize` numbers. */
async function depotWithLeases(leaseSize: number, pattern = 'D7-{seq:06}'): Promise<Depot> {
  const depot = await createDepot(pgServer());
  await depotTagSettings(depot.admin, { pattern, leaseSize });
  return depot;
}

/** A station whose batch tags its handsets, registered at the depot and joined (which takes its first lease). */
async function joinedStation(depot: Depot, tagTopUpBelow: number): Promise<{ station: StationFixture; credentials: DepotCredentials }> {
  const station = createStationFixture({ assetTagPattern: 'LS-{yyyy}-{seq:06}' });
  cleanups.push(() => station.cleanup());
  const credentials = await registerStation(pgServer(), depot, station.records.identity.fingerprint);
  const credentialsPath = join(station.dir, 'handed-over.json');
  await writeCredentialsFile(credentialsPath, credentials);
  await joinDepot({ databasePath: station.records.databasePath, credentialsPath, stationFingerprint: station.records.identity.fingerprint, settings: { tagTopUpBelow } });
  return { station, credentials };
}

function provisionTagged(station: StationFixture, count: number, prefix: string): (string | null)[] {
  const tags: (string | null)[] = [];
  for (let i = 1; i <= count; i += 1) {
    const record = station.provision({ serial: `${prefix}${String(i).padStart(4, '0')}`, imei: null });
    tags.push('assetTag' in record ? record.assetTag : null);
  }
  return tags;
}

/** The station's tag journal, read through a connection of the test's own. */
function withLeases<T>(station: StationFixture, read: (leases: ReturnType<typeof createTagLeases>, db: DatabaseSync) => T): T {
  const db = new DatabaseSync(station.records.databasePath, { readOnly: true });
  try {
    return read(createTagLeases(db, () => new Date()), db);
  } finally {
    db.close();
  }
}

async function asAdmin<T>(depot: Depot, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(depot.admin);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describe.skipIf(POSTGRES_MISSING)('asset tags leased from a real PostgreSQL depot', () => {
  it('three stations leasing at once, over and over, receive disjoint blocks of numbers', async () => {
    const depot = await depotWithLeases(7);
    const stations = await Promise.all([1, 2, 3].map(async () => {
      const key = randomBytes(32).toString('hex');
      return { key, credentials: await registerStation(pgServer(), depot, key) };
    }));
    const leases = await Promise.all(
      stations.map(async ({ credentials }) => {
        const clients = await Promise.all([1, 2, 3, 4].map(() => connectStation(credentials, 10_000)));
        try {
          // Four connections per station, five leases each, all at once.
          const rounds = await Promise.all(clients.map(async (client) => {
            const taken: TagLease[] = [];
            for (let i = 0; i < 5; i += 1) taken.push(await client.leaseTags());
            return taken;
          }));
          return rounds.flat();
        } finally {
          await Promise.all(clients.map((client) => client.close()));
        }
      }),
    );
    const numbers = leases.flat().flatMap((lease) => Array.from({ length: lease.lastSeq - lease.firstSeq + 1 }, (_, i) => lease.firstSeq + i));
    expect(numbers).toHaveLength(3 * 4 * 5 * 7);
    expect(new Set(numbers).size).toBe(numbers.length);
    expect(Math.max(...numbers)).toBe(numbers.length);
    for (const lease of leases.flat()) expect(lease.pattern).toBe('D7-{seq:06}');
    // Each station sees its own leases only (row-level security), exactly those it was given.
    for (const [index, { credentials }] of stations.entries()) {
      const client = await connectStation(credentials, 10_000);
      try {
        expect((await client.leasesAfter(0)).map((lease) => lease.id).sort((a, b) => a - b)).toEqual(leases[index]?.map((lease) => lease.id).sort((a, b) => a - b));
      } finally {
        await client.close();
      }
    }
  });

  it('three stations provisioning and syncing at once hand out unique tags, every one of them held by the depot', async () => {
    const depot = await depotWithLeases(10);
    // Eight handsets a round, and a sync after each tops up to eight or more: no handset waits for a tag.
    const stations = await Promise.all([1, 2, 3].map(() => joinedStation(depot, 8)));
    const syncs = stations.map(({ station, credentials }) => {
      const sync = createDepotSync({ databasePath: station.records.databasePath, credentials, settings: { tagTopUpBelow: 8, batchSize: 7 } });
      cleanups.push(() => sync.stop());
      return sync;
    });
    const local: string[] = [];
    // Rounds of provisioning on every station, each followed by syncs of all three at once (which top the leases up).
    for (let round = 0; round < 4; round += 1) {
      for (const [index, { station }] of stations.entries()) local.push(...(provisionTagged(station, 8, `R${round}S${index}-`) as string[]));
      await Promise.all(syncs.map((sync) => sync.drain()));
    }
    expect(local).toHaveLength(96);
    expect(local.every((tag) => /^D7-\d{6}$/.test(tag))).toBe(true);
    expect(new Set(local).size).toBe(96);
    const held = await asAdmin(depot, (client) => client.query<{ station: string; tag: string }>('SELECT station, tag FROM depot.asset_tags ORDER BY tag'));
    expect(held.rows.map((row) => row.tag)).toEqual([...local].sort());
    for (const { station, credentials } of stations) {
      const own = withLeases(station, (_, db) => (db.prepare('SELECT tag FROM asset_tags ORDER BY tag').all() as { tag: string }[]).map((row) => row.tag));
      expect(held.rows.filter((row) => row.station === credentials.station).map((row) => row.tag)).toEqual(own);
    }
    // A batch started in the depot is tagged with the depot's pattern, whatever pattern was asked for.
    const later = stations[0]?.station.records.startBatch({ name: 'later', product: 'p', bundleHash: 'a'.repeat(64), bundleVersion: 'v', operatorId: TECHNICIAN.id, assetTagPattern: 'X-{seq}' });
    expect(later?.assetTagPattern).toBe('D7-{seq:06}');
  });

  it('a station cut off from the depot tags from its lease, warns in time, then records handsets with their tag pending until the next lease', async () => {
    const depot = await depotWithLeases(30);
    const { station, credentials } = await joinedStation(depot, 1);
    expect(withLeases(station, (leases) => leases.supply())).toEqual({ mode: 'depot', left: 30, pending: 0, pattern: 'D7-{seq:06}', warning: null });

    // The depot is out of reach: a port nothing listens on.
    const unreachable = createDepotSync({ databasePath: station.records.databasePath, credentials: { ...credentials, port: 1 }, settings: { timeoutMs: 2_000 } });
    cleanups.push(() => unreachable.stop());
    await expect(unreachable.drain()).rejects.toThrow(/cannot reach the depot/);

    const first = provisionTagged(station, 18, 'OFF');
    expect(first).toEqual(Array.from({ length: 18 }, (_, i) => `D7-${String(i + 1).padStart(6, '0')}`));
    expect(unreachable.tags()).toEqual({ mode: 'depot', left: 12, pending: 0, pattern: 'D7-{seq:06}', warning: '12 tags left; connect the depot' });
    // The depot state every front end shows carries it: the header's badge, lockstep provision's depot lines.
    const offline = await new Promise<DepotSyncState>((resolve) => {
      const worker = createDepotSync({
        databasePath: station.records.databasePath,
        credentials: { ...credentials, port: 1 },
        settings: { timeoutMs: 2_000 },
        onState: (state) => state.kind === 'offline' && resolve(state),
      });
      cleanups.push(() => worker.stop());
      worker.start();
    });
    expect(offline.tagsLow).toEqual({ left: 12, pending: 0 });
    expect(describeDepotState(offline)).toMatch(/^offline since \d\d:\d\d, backlog \d+: cannot reach the depot.*; 12 tags left; connect the depot$/s);

    const rest = provisionTagged(station, 14, 'OUT');
    expect(rest.slice(0, 12)).toEqual(Array.from({ length: 12 }, (_, i) => `D7-${String(i + 19).padStart(6, '0')}`));
    // Out of tags: the handsets finish and are recorded, their tag pending.
    expect(rest.slice(12)).toEqual([null, null]);
    expect(station.records.pendingTags()).toEqual([31, 32]);
    expect(unreachable.tags()).toEqual({ mode: 'depot', left: 0, pending: 2, pattern: 'D7-{seq:06}', warning: '2 handsets waiting for an asset tag; connect the depot' });
    // A failed handset is never tagged, pending or not.
    station.provision({ serial: 'FAILS', imei: null, fail: { step: 'flash', reason: 'refused' } });
    expect(withLeases(station, (leases) => leases.pendingRecords())).toEqual([31, 32]);

    // Back in reach: the sync takes a new lease, gives the waiting handsets their tags first, and pushes every tag.
    const online = createDepotSync({ databasePath: station.records.databasePath, credentials, settings: { tagTopUpBelow: 1 } });
    cleanups.push(() => online.stop());
    const pushed = await online.drain();
    expect(pushed.asset_tags).toBe(32);
    expect(online.tags()).toEqual({ mode: 'depot', left: 28, pending: 0, pattern: 'D7-{seq:06}', warning: null });
    const late = withLeases(station, (_, db) => db.prepare('SELECT record_seq, tag, lease_seq FROM asset_tags WHERE record_seq IN (31, 32) ORDER BY record_seq').all());
    expect(late).toEqual([
      { record_seq: 31, tag: 'D7-000031', lease_seq: 31 },
      { record_seq: 32, tag: 'D7-000032', lease_seq: 32 },
    ]);
    // The records themselves are unchanged: their hashed bodies still say no tag was known when they were made.
    expect(station.records.log.get(31)).toMatchObject({ assetTag: null, outcome: 'provisioned' });
    const held = await asAdmin(depot, (client) => client.query<{ id: string; tag: string }>('SELECT id, tag FROM depot.asset_tags WHERE station = $1 ORDER BY id', [credentials.station]));
    expect(held.rows.map((row) => [Number(row.id), row.tag])).toEqual([
      ...Array.from({ length: 30 }, (_, i) => [i + 1, `D7-${String(i + 1).padStart(6, '0')}`]),
      [31, 'D7-000031'],
      [32, 'D7-000032'],
    ]);
    // History finds them by the tags they were given.
    expect(station.records.search.page({ status: 'provisioned' }, { search: 'D7-000031', limit: 10 }).records.map((record) => record.seq)).toEqual([31]);
    // The depot's overview shows what the station had left at its last push.
    expect((await depotOverview(depot.admin)).find((row) => row.name === credentials.station)).toMatchObject({ tagsLeft: 28 });
    // Their labels can now be printed: they are among the unprinted labels, with the tags they were given.
    const unprinted = withLeases(station, (_, db) => createLabelStore(db).unprinted());
    expect(unprinted.filter((label) => label.recordSeq > 30).map((label) => [label.recordSeq, label.assetTag])).toEqual([
      [31, 'D7-000031'],
      [32, 'D7-000032'],
    ]);
    expect(station.records.tagSupply()).toMatchObject({ left: 28, pending: 0 });
    // The next handset draws after them.
    expect(provisionTagged(station, 1, 'NEXT')).toEqual(['D7-000033']);
  });

  it('a lease the depot granted but the station never journaled (it stopped in between) is journaled at the next sync, before any tag is drawn', async () => {
    const depot = await depotWithLeases(4);
    const { station, credentials } = await joinedStation(depot, 1);
    const client = await connectStation(credentials, 10_000);
    const orphan = await client.leaseTags().finally(() => client.close());
    expect(withLeases(station, (leases) => leases.lastLeaseId())).toBeLessThan(orphan.id);
    const sync = createDepotSync({ databasePath: station.records.databasePath, credentials, settings: { tagTopUpBelow: 1 } });
    cleanups.push(() => sync.stop());
    await sync.drain();
    expect(withLeases(station, (leases) => leases.lastLeaseId())).toBe(orphan.id);
    expect(sync.tags()).toMatchObject({ mode: 'depot', left: 8 });
  });

  it("PostgreSQL refuses a number twice, a tag twice, a tag from another station's lease, and a station writing leases itself", async () => {
    const depot = await depotWithLeases(5, 'G-{seq:03}');
    const keys = [randomBytes(32).toString('hex'), randomBytes(32).toString('hex')];
    const [alpha, beta] = await Promise.all(keys.map((key) => registerStation(pgServer(), depot, key)));
    const alphaClient = await connectStation(alpha as DepotCredentials, 10_000);
    const betaClient = await connectStation(beta as DepotCredentials, 10_000);
    cleanups.push(() => alphaClient.close(), () => betaClient.close());
    const alphaLease = await alphaClient.leaseTags();
    const betaLease = await betaClient.leaseTags();

    // The UNIQUE guard, for the administrator too: a number already leased cannot be leased again.
    const guard = await asAdmin(depot, async (client) => {
      const lease = await client.query<{ id: string }>("INSERT INTO depot.tag_leases (station, pattern, first_seq, last_seq) VALUES ($1, 'G-{seq:03}', $2, $2) RETURNING id", [
        (beta as DepotCredentials).station,
        alphaLease.firstSeq,
      ]);
      return refusal(client.query('INSERT INTO depot.leased_tag_numbers (seq, lease_id) VALUES ($1, $2)', [alphaLease.firstSeq, lease.rows[0]?.id]));
    });
    expect(guard.code).toBe('23505');

    const tagRow = (recordSeq: number, tag: string, lease: TagLease, leaseSeq: number) => ({
      id: recordSeq,
      body: JSON.stringify({ allocated_at: '2026-12-05T08:00:00.000Z', id: recordSeq, lease_id: lease.id, lease_seq: leaseSeq, record_seq: recordSeq, tag }),
    });
    expect(await alphaClient.ingestRows('asset_tags', [tagRow(1, 'G-001', alphaLease, alphaLease.firstSeq)])).toBe(1);
    // Beta reporting a number of alpha's lease: refused.
    const stolen = await refusal(betaClient.ingestRows('asset_tags', [tagRow(1, 'G-002', alphaLease, alphaLease.firstSeq + 1)]));
    expect(stolen.code).toBe(REFUSAL_CODES.tagNotLeased);
    // Beta reporting, from its own lease, a tag that does not read as its number (alpha's tag text): refused.
    const foreignText = await refusal(betaClient.ingestRows('asset_tags', [tagRow(1, 'G-001', betaLease, betaLease.firstSeq)]));
    expect(foreignText.code).toBe(REFUSAL_CODES.malformed);
    expect(foreignText.message).toContain(`does not read as number ${betaLease.firstSeq} of the pattern G-{seq:03}`);
    expect(await betaClient.ingestRows('asset_tags', [tagRow(1, 'G-006', betaLease, betaLease.firstSeq)])).toBe(1);
    // Alpha reporting one number for a second record: refused by UNIQUE (tag_seq) and UNIQUE (tag).
    const twice = await refusal(alphaClient.ingestRows('asset_tags', [tagRow(2, 'G-001', alphaLease, alphaLease.firstSeq)]));
    expect(twice.code).toBe(REFUSAL_CODES.tagTaken);
    expect(twice.message).toContain(`already held by station ${(alpha as DepotCredentials).station}`);
    // A re-send of the same row changes nothing; a changed one is refused.
    expect(await alphaClient.ingestRows('asset_tags', [tagRow(1, 'G-001', alphaLease, alphaLease.firstSeq)])).toBe(1);
    expect((await refusal(alphaClient.ingestRows('asset_tags', [tagRow(1, 'G-003', alphaLease, alphaLease.firstSeq + 2)]))).code).toBe(REFUSAL_CODES.conflict);

    // How the depot reads a tag: literal text as is (a dot is a dot), date parts as digits, the number padded, never cut.
    const reads = await asAdmin(depot, (client) =>
      client.query<{ tag: string; matches: boolean }>(
        `SELECT tag, tag ~ depot.tag_regex(pattern, seq) AS matches FROM (VALUES
          ('D.7-202612-0012', 'D.7-{yyyy}{mm}-{seq:04}', 12), ('DX7-202612-0012', 'D.7-{yyyy}{mm}-{seq:04}', 12),
          ('D.7-202612-012', 'D.7-{yyyy}{mm}-{seq:04}', 12), ('X12345', 'X{seq:02}', 12345), ('X2345', 'X{seq:02}', 12345),
          ('Y-26-7', 'Y-{yy}-{seq}', 7)) AS t (tag, pattern, seq)`,
      ),
    );
    expect(reads.rows.map((row) => [row.tag, row.matches])).toEqual([
      ['D.7-202612-0012', true],
      ['DX7-202612-0012', false],
      ['D.7-202612-012', false],
      ['X12345', true],
      ['X2345', false],
      ['Y-26-7', true],
    ]);

    // A station's role writes leases only through depot.lease_tags, and only for itself.
    const raw = await connectAsStation(alpha as DepotCredentials);
    cleanups.push(() => raw.end());
    for (const sql of [
      "INSERT INTO depot.tag_leases (station, pattern, first_seq, last_seq) VALUES ('x', 'G-{seq}', 900, 999)",
      'INSERT INTO depot.leased_tag_numbers (seq, lease_id) VALUES (999, 1)',
      "UPDATE depot.tag_settings SET lease_size = 100000",
      'DELETE FROM depot.tag_leases',
    ]) {
      expect((await refusal(raw.query(sql))).code).toBe('42501');
    }
    expect((await refusal(raw.query('SELECT * FROM depot.lease_tags($1)', [keys[1]]))).code).toBe(REFUSAL_CODES.wrongKey);
    expect((await raw.query('SELECT count(*)::int AS n FROM depot.tag_leases')).rows[0]?.n).toBe(1);
  });

  it('a station outside a depot keeps numbering its own tags', () => {
    const station = createStationFixture({ assetTagPattern: 'LS-{yyyy}-{seq:06}' });
    cleanups.push(() => station.cleanup());
    const year = new Date().getUTCFullYear();
    expect(provisionTagged(station, 2, 'LOCAL')).toEqual([`LS-${year}-000001`, `LS-${year}-000002`]);
    expect(withLeases(station, (leases) => leases.supply())).toEqual({ mode: 'local' });
  });
});
