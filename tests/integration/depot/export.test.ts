// `lockstep depot export` from a real PostgreSQL and `lockstep records verify` of the file offline:
// every station's chain lines are byte for byte its own export's, a time range elides the records in
// between, one station can be exported alone, and an edited, shortened or reordered file is refused.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCredentialsFile } from '../../../src/main/depot/connection.ts';
import { connectStation } from '../../../src/main/depot/station-client.ts';
import { joinedCredentials, joinDepot } from '../../../src/main/depot/station-depot.ts';
import { createDepotSync } from '../../../src/main/depot/sync.ts';
import { openStationSource } from '../../../src/main/depot/station-source.ts';
import { canonicalJson } from '../../../src/main/records/canonical-json.ts';
import { chainHash } from '../../../src/main/records/chain.ts';
import { recordLineText } from '../../../src/main/records/export-line.ts';
import { signUnfilteredHead } from '../../../src/main/records/signed-head.ts';
import { identityOf } from '../../../src/main/records/station-identity.ts';
import type { SignedHeadsOutcome } from '../../../src/main/records/depot-signed-heads.ts';
import type { DepotVerifyOutcome } from '../../../src/shared/depot-export.ts';
import { runCliAsync } from '../../lockstep-cli.ts';
import { startPostgres, type PostgresServer } from '../../support/postgres-server.ts';
import { createStationFixture, type StationFixture } from '../records/fixture.ts';
import { createDepot, POSTGRES_MISSING, registerStation } from './fixture.ts';

let server: PostgresServer;
let depot: Awaited<ReturnType<typeof createDepot>>;
let url = '';
const stations: { fixture: StationFixture; name: string }[] = [];
/** The stations' clock: each handset is committed a minute after the one before. */
let clock = Date.parse('2026-12-01T08:00:00.000Z');

beforeAll(async () => {
  if (POSTGRES_MISSING) return;
  server = await startPostgres();
  depot = await createDepot(server);
  url = server.url(depot.database);
  process.env.PGPASSWORD = server.adminPassword;
  for (const count of [4, 3]) {
    const fixture = createStationFixture({ now: () => new Date(clock) });
    for (let i = 1; i <= count; i += 1) {
      clock += 60_000;
      fixture.provision({ serial: `EXP${stations.length}-${i}`, imei: null });
    }
    const credentials = await registerStation(server, depot, fixture.records.identity.fingerprint);
    const credentialsPath = join(fixture.dir, 'handed-over.json');
    await writeCredentialsFile(credentialsPath, credentials);
    await joinDepot({ databasePath: fixture.records.databasePath, credentialsPath, stationFingerprint: fixture.records.identity.fingerprint });
    stations.push({ fixture, name: credentials.station });
  }
}, 120_000);

afterAll(() => {
  delete process.env.PGPASSWORD;
  for (const { fixture } of stations) fixture.cleanup();
  server?.destroy();
});

async function exportTo(file: string, ...options: string[]): Promise<string[]> {
  const run = await runCliAsync(['depot', 'export', '--url', url, '--format', 'jsonl', '--out', file, ...options]);
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return readFileSync(file, 'utf8').trimEnd().split('\n');
}

async function verify(file: string): Promise<DepotVerifyOutcome> {
  const run = await runCliAsync(['records', 'verify', file, '--json']);
  return JSON.parse(run.stdout) as DepotVerifyOutcome;
}

describe.skipIf(POSTGRES_MISSING)('the depot export against a real PostgreSQL, verified offline', () => {
  it("exports every station's whole chain with the station's own bytes, and records verify finds it intact", async () => {
    const [first, second] = stations;
    if (!first || !second) throw new Error('two stations expected');
    const file = join(first.fixture.dir, 'depot.jsonl');
    const lines = await exportTo(file);
    expect(lines[0]).toBe('{"format":"lockstep-depot-export/3","type":"depot-export"}');
    // A station's own unfiltered export, without its signed head, is its section of the depot export.
    const own = join(first.fixture.dir, 'own.jsonl');
    await first.fixture.records.export('jsonl', {}, own);
    const ownLines = readFileSync(own, 'utf8').trimEnd().split('\n').slice(0, -1);
    expect(lines.slice(1, 1 + ownLines.length)).toEqual(ownLines);

    const outcome = await verify(file);
    expect(outcome).toMatchObject({ intact: true, records: 7, head: { stations: 2, records: 7, filter: { from: null, to: null, station: null } } });
    if (!outcome.intact) return;
    expect(outcome.stations.map(({ station, keyFingerprint, headSeq }) => ({ station, keyFingerprint, headSeq }))).toEqual(
      [first, second].map(({ fixture, name }) => ({ station: name, keyFingerprint: fixture.records.identity.fingerprint, headSeq: fixture.records.log.head().seq })),
    );
    // Each station signed the head its sync left at the depot: every record is covered by its signature.
    expect(outcome.signatures).toEqual(
      [first, second].map(({ fixture, name }) => ({
        station: name,
        publicKey: fixture.records.identity.publicKey,
        signedHeadSeq: fixture.records.log.head().seq,
        signedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) as unknown as string,
        unsignedRecords: 0,
      })),
    );
    const text = await runCliAsync(['records', 'verify', file]);
    expect(text.stdout).toMatch(/^Intact depot export of depot_.*: 11 lines, 7 records, 2 station\(s\)/);
    expect(text.stdout).toMatch(new RegExp(`^  ${first.name}: signed by its registered key ${first.fixture.records.identity.publicKey.replaceAll('+', '\\+')} up to record 4 `, 'm'));
  });

  it('a time range keeps the records committed in it and elides the later ones; one station alone', async () => {
    const [first] = stations;
    if (!first) throw new Error('a station expected');
    const file = join(first.fixture.dir, 'range.jsonl');
    // The first station's records 2 and 3 (08:02, 08:03); the second station's fall after.
    const lines = await exportTo(file, '--from', '2026-12-01T08:02:00Z', '--to', '2026-12-01T08:04:00Z', '--station', first.name);
    expect(lines.slice(1, -2).map((line) => (JSON.parse(line) as { type: string; seq: number }).type)).toEqual(['record', 'record', 'elided']);
    expect(await verify(file)).toMatchObject({ intact: true, records: 2, head: { stations: 1, filter: { station: first.name, from: '2026-12-01T08:02:00.000Z' } } });
    const unknown = await runCliAsync(['depot', 'export', '--url', url, '--format', 'jsonl', '--out', `${file}.2`, '--station', 'nosuch']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/no station named nosuch/);
    const csv = await runCliAsync(['depot', 'export', '--url', url, '--format', 'xml', '--out', `${file}.3`]);
    expect(csv.status).toBe(64);
  });

  it('an edited record, a deleted line, a dropped station head, a changed count and a cut-off file are each refused', async () => {
    const [first] = stations;
    if (!first) throw new Error('a station expected');
    const file = join(first.fixture.dir, 'whole.jsonl');
    const lines = await exportTo(file);
    const tampered = join(first.fixture.dir, 'tampered.jsonl');
    const check = async (edit: (copy: string[]) => string[] | string): Promise<DepotVerifyOutcome> => {
      const result = edit([...lines]);
      writeFileSync(tampered, typeof result === 'string' ? result : `${result.join('\n')}\n`);
      return verify(tampered);
    };
    expect(await check((copy) => copy.map((line, index) => (index === 2 ? line.replace('EXP0-2', 'EXP0-9') : line)))).toMatchObject({ intact: false, problem: 'edited', line: 3 });
    expect(await check((copy) => copy.filter((_, index) => index !== 2))).toMatchObject({ intact: false, problem: 'deleted', line: 3 });
    expect(await check((copy) => copy.filter((line) => !line.includes('"type":"station-head"') || !line.includes(`"station":"${first.name}"`)))).toMatchObject({
      intact: false,
      problem: 'inserted',
    });
    expect(await check((copy) => copy.map((line) => (line.includes('"type":"depot-head"') ? line.replace('"records":7', '"records":6') : line)))).toMatchObject({
      intact: false,
      problem: 'inserted',
      line: lines.length,
    });
    expect(await check((copy) => `${copy.slice(0, -1).join('\n')}\n`)).toMatchObject({ intact: false, problem: 'truncated' });
    expect(await check((copy) => [copy[0] ?? '', ...copy.slice(1).map((line) => line.replace('{"', '{ "'))])).toMatchObject({ intact: false, problem: 'edited', line: 2 });
    // Without its format line the file is taken for a station's export, and refused at the first line only a depot writes.
    const firstHeadLine = lines.findIndex((line) => line.includes('"type":"station-head"'));
    expect(await check((copy) => copy.slice(1))).toMatchObject({ intact: false, problem: 'malformed', line: firstHeadLine });
    expect(await check((copy) => [...copy, copy.at(-1) ?? ''])).toMatchObject({ intact: false, problem: 'inserted', line: lines.length + 1 });
    expect(await check((copy) => [`\uFEFF${copy[0] ?? ''}`, ...copy.slice(1)])).toMatchObject({ intact: false, problem: 'edited', line: 1 });
    // The second station's section moved in front of the first: sections come in name order.
    const moved = [lines[0] ?? '', ...lines.slice(firstHeadLine + 1, -1), ...lines.slice(1, firstHeadLine + 1), lines.at(-1) ?? ''];
    expect(await check(() => moved)).toMatchObject({ intact: false, problem: 'inserted', line: lines.length - 1 });
  });

  it("each station's own signed export proves its section; a depot chain rebuilt with an edited record is refused by the signed head it carries, and, stripped of it, by the station's own export", async () => {
    const [first, second] = stations;
    if (!first || !second) throw new Error('two stations expected');
    const file = join(first.fixture.dir, 'signed.jsonl');
    const lines = await exportTo(file);
    const own = join(first.fixture.dir, 'own-signed.jsonl');
    await first.fixture.records.export('jsonl', {}, own);
    const checked = await runCliAsync(['records', 'verify', file, '--station-export', own, '--json']);
    expect(checked.status).toBe(0);
    const outcome = JSON.parse(checked.stdout) as DepotVerifyOutcome & { signedHeads: SignedHeadsOutcome };
    expect(outcome.signedHeads).toEqual({
      intact: true,
      checks: [
        {
          file: own,
          station: first.name,
          keyFingerprint: first.fixture.records.identity.fingerprint,
          publicKey: first.fixture.records.identity.publicKey,
          signedHeadSeq: 4,
          depotHeadSeq: 4,
          agreedUpTo: 4,
        },
      ],
    });
    const text = await runCliAsync(['records', 'verify', file, '--station-export', own]);
    expect(text.stdout).toMatch(new RegExp(`^  ${first.name}: its own export .* agrees with the depot's chain up to record 4, so the station signed it up to there; the depot held up to record 4\\.$`, 'm'));

    // A forger with write access to the depot rebuilds the first station's chain around an edited record.
    let prevHash = '0'.repeat(64);
    const forged = lines.map((line) => {
      const parsed = JSON.parse(line) as { type: string; seq: number; record?: Record<string, unknown> } & Record<string, unknown>;
      if (parsed.type === 'record' && parsed.record && prevHash !== 'done') {
        const record = parsed.record.serial === 'EXP0-2' ? { ...parsed.record, serial: 'FORGED-2' } : parsed.record;
        const body = canonicalJson(record);
        const hash = chainHash(prevHash, body);
        const rebuilt = recordLineText({ seq: parsed.seq, prevHash, hash }, body);
        prevHash = hash;
        return rebuilt;
      }
      if (parsed.type === 'station-head' && prevHash !== 'done') {
        const head = canonicalJson({ ...parsed, headHash: prevHash });
        prevHash = 'done';
        return head;
      }
      return line;
    });
    const forgedFile = join(first.fixture.dir, 'forged.jsonl');
    writeFileSync(forgedFile, `${forged.join('\n')}\n`);
    // The station's signed head in the depot export itself catches it.
    expect(await verify(forgedFile)).toMatchObject({ intact: false, problem: 'edited', message: expect.stringMatching(/not the one the station signed .*: the chain was rebuilt/) });
    // A forger who also drops the signed head gets a file that verifies, flagged NOT SIGNED; the station's own export catches it.
    const unsigned = forged.map((line) => (line.includes('"type":"station-head"') && line.includes(`"station":"${first.name}"`) ? canonicalJson({ ...JSON.parse(line), publicKey: null, signedHead: null }) : line));
    writeFileSync(forgedFile, `${unsigned.join('\n')}\n`);
    expect(await verify(forgedFile)).toMatchObject({ intact: true, signatures: [{ station: first.name, publicKey: null, signedHeadSeq: 0, unsignedRecords: 4 }, { unsignedRecords: 0 }] });
    expect((await runCliAsync(['records', 'verify', forgedFile])).stdout).toMatch(new RegExp(`^  ${first.name}: NOT SIGNED`, 'm'));
    const caught = await runCliAsync(['records', 'verify', forgedFile, '--station-export', own]);
    expect(caught.status).toBe(1);
    expect(caught.stderr).toMatch(new RegExp(`^NOT INTACT \\(edited\\): station ${first.name}: record \\d in the depot export is not the one the station signed`));

    // An export signed by a key no station of the depot has names no section.
    const stranger = createStationFixture();
    stranger.provision({ serial: 'STRANGER1', imei: null });
    const strangerExport = join(stranger.dir, 'stranger.jsonl');
    await stranger.records.export('jsonl', {}, strangerExport);
    const unknown = await runCliAsync(['records', 'verify', file, '--station-export', strangerExport]);
    stranger.cleanup();
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/NOT INTACT \(untrusted-key\): the station export .* is signed by the key [0-9a-f]{64}, which is no station's in the depot export/);
  });

  it("a chain rebuilt in the depot's tables by someone without the station's key is refused, and so is a head re-signed with another key", async () => {
    const [, second] = stations;
    if (!second) throw new Error('two stations expected');
    const file = join(second.fixture.dir, 'rebuilt.jsonl');
    // Someone with the administrator's access turns off the depot's triggers and rebuilds the second
    // station's chain from record 2 on, with an edited serial: every hash and link is consistent again.
    const admin = new pg.Client(depot.admin);
    await admin.connect();
    try {
      await admin.query('BEGIN');
      await admin.query("SET LOCAL session_replication_role = 'replica'");
      const held = await admin.query<{ seq: string; prev_hash: string; body: string }>(
        'SELECT seq, prev_hash, body::text AS body FROM depot.records WHERE station = $1 ORDER BY seq',
        [second.name],
      );
      let prevHash = held.rows[0]?.prev_hash ?? '';
      for (const row of held.rows) {
        const body = row.body.replace('EXP1-2', 'FORGED');
        const hash = chainHash(prevHash, body);
        await admin.query('UPDATE depot.records SET prev_hash = $3, hash = $4, body = $5::json WHERE station = $1 AND seq = $2', [second.name, row.seq, prevHash, hash, body]);
        prevHash = hash;
      }
      await admin.query('COMMIT');
      await exportTo(file);
      expect(readFileSync(file, 'utf8')).toContain('FORGED');
      expect(await verify(file)).toMatchObject({ intact: false, problem: 'edited', message: expect.stringMatching(/the chain was rebuilt/) });

      // The forger rewrites the signed head's hash too: the station's signature no longer verifies.
      await admin.query("SET session_replication_role = 'replica'");
      await admin.query('UPDATE depot.signed_heads SET head_hash = $2 WHERE station = $1', [second.name, prevHash]);
      await exportTo(file);
      expect(await verify(file)).toMatchObject({ intact: false, problem: 'signature' });

      // And signs it with a key of their own: not the key the station is registered with.
      const forger = identityOf(generateKeyPairSync('ed25519').privateKey);
      const head = signUnfilteredHead(forger, { seq: held.rows.length, hash: prevHash }, new Date());
      await admin.query('UPDATE depot.signed_heads SET public_key = $2, signature = $3, signed_at = $4 WHERE station = $1', [
        second.name,
        forger.publicKey,
        head.signature,
        head.exportedAt,
      ]);
      await exportTo(file);
      expect(await verify(file)).toMatchObject({ intact: false, problem: 'untrusted-key', message: expect.stringMatching(/is not the key the station is registered with/) });
    } finally {
      await admin.end();
    }
  });

  it('a lockstep-depot-export/1 file (before signed heads) is verified by its own rules and said to hold no signature', async () => {
    const [first] = stations;
    if (!first) throw new Error('a station expected');
    const file = join(first.fixture.dir, 'format1.jsonl');
    const lines = await exportTo(file, '--station', first.name);
    // Format 1 is format 3 without the station heads' key, signed head and label counts (these stations printed no labels).
    const older = lines.map((line) => {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (parsed.type === 'depot-export') return canonicalJson({ ...parsed, format: 'lockstep-depot-export/1' });
      if (parsed.type !== 'station-head') return line;
      const { publicKey: _publicKey, signedHead: _signedHead, labelJobs: _labelJobs, labelOutcomes: _labelOutcomes, ...v1 } = parsed;
      return canonicalJson(v1);
    });
    writeFileSync(file, `${older.join('\n')}\n`);
    expect(await verify(file)).toMatchObject({ intact: true, format: 'lockstep-depot-export/1', signatures: [] });
    expect((await runCliAsync(['records', 'verify', file])).stdout).toMatch(/A lockstep-depot-export\/1 file holds no station signature/);
    // A format 3 station head in a format 1 file is not one of its lines.
    writeFileSync(file, `${[older[0], ...lines.slice(1)].join('\n')}\n`);
    expect(await verify(file)).toMatchObject({ intact: false, problem: 'malformed' });
  });

  it("records the depot holds after a station's newest signed head are said to be not covered by its signature, until its next sync signs them", async () => {
    const [first] = stations;
    if (!first) throw new Error('a station expected');
    clock += 60_000;
    first.fixture.provision({ serial: 'EXP0-5', imei: null });
    // Record 5 reaches the depot, but the pass ends before the station signs its head (as a cut connection would).
    const credentials = await joinedCredentials(first.fixture.records.databasePath);
    if (!credentials) throw new Error('joined credentials expected');
    const client = await connectStation(credentials, 5_000);
    const source = openStationSource(first.fixture.records.databasePath);
    try {
      expect(await client.ingestRecords(source.records(4, 10))).toBe(5);
    } finally {
      source.close();
      await client.close();
    }
    const file = join(first.fixture.dir, 'tail.jsonl');
    await exportTo(file, '--station', first.name);
    expect(await verify(file)).toMatchObject({ intact: true, signatures: [{ station: first.name, signedHeadSeq: 4, unsignedRecords: 1 }] });
    expect((await runCliAsync(['records', 'verify', file])).stdout).toMatch(/up to record 4 \(at .*\); 1 record\(s\) after it NOT covered by its signature/);

    const sync = createDepotSync({ databasePath: first.fixture.records.databasePath, credentials });
    try {
      await sync.drain();
    } finally {
      await sync.stop();
    }
    await exportTo(file, '--station', first.name);
    expect(await verify(file)).toMatchObject({ intact: true, signatures: [{ station: first.name, signedHeadSeq: 5, unsignedRecords: 0 }] });
  });
});
