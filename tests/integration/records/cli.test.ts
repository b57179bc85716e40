import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUnsafeCodePoint } from '../../../src/shared/untrusted.ts';
import { DATABASE_FILE, openStationRecords } from '../../../src/main/records/station-records.ts';
import { runCli, runCliAsync } from '../../lockstep-cli.ts';
import { BUNDLE_HASH, TECHNICIAN, createStationFixture, type StationFixture } from './fixture.ts';

describe('lockstep operators', () => {
  let dir: string;
  let db: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lockstep-operators-'));
    db = join(dir, 'station.sqlite');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a PIN on the command line and says why', () => {
    for (const flag of [['--pin', '123456'], ['--pin=123456']]) {
      const run = runCli(['operators', 'add', '--db', db, '--id', 'admin', '--name', 'Admin', ...flag]);
      expect(run.status).toBe(64);
      expect(run.stderr).toContain('PINs are never accepted on the command line');
    }
  });

  it('creates a station only for `add`: other actions on a mistyped --db say so and create nothing', () => {
    const typo = join(dir, 'typo.sqlite');
    for (const args of [['list'], ['disable', '--id', 'x', '--as', 'admin'], ['unlock', '--id', 'x', '--as', 'admin']]) {
      const run = runCli(['operators', ...args, '--db', typo], { input: '4711235\n' });
      expect(run.status, args.join(' ')).toBe(1);
      expect(run.stderr).toContain('there is no records database');
      expect(existsSync(typo)).toBe(false);
      expect(existsSync(join(dir, 'station-key.pem'))).toBe(false);
    }
  });

  it('creates the first admin from a PIN on stdin, then adds operators only with an admin PIN', () => {
    const first = runCli(['operators', 'add', '--db', db, '--id', 'admin', '--name', 'Depot Admin'], { input: '4711235\n' });
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain("Created the station's first admin: admin\tadmin\tactive");

    const noAdmin = runCli(['operators', 'add', '--db', db, '--id', 'tech.a', '--name', 'Tech A'], { input: '12345678\n' });
    expect(noAdmin.stderr).toContain('missing --as ADMIN');
    const wrong = runCli(['operators', 'add', '--db', db, '--id', 'tech.a', '--name', 'Tech A', '--as', 'admin'], {
      input: '000000\n12345678\n',
    });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain('wrong PIN');
    const noPin = runCli(['operators', 'add', '--db', db, '--id', 'tech.a', '--name', 'Tech A', '--as', 'admin'], { input: '4711235\n' });
    expect(noPin.status).toBe(1);
    expect(noPin.stderr).toContain('no PIN on stdin for "New PIN for tech.a (6-12 digits)"');

    const added = runCli(['operators', 'add', '--db', db, '--id', 'tech.a', '--name', 'Tech A', '--role', 'supervisor', '--as', 'admin'], {
      input: '4711235\n12345678\n',
    });
    expect(added.status, added.stderr).toBe(0);
    const disabled = runCli(['operators', 'disable', '--db', db, '--id', 'tech.a', '--as', 'admin'], { input: '4711235\n' });
    expect(disabled.stdout).toMatch(/^tech\.a\tsupervisor\tdisabled /);
    const list = runCli(['operators', 'list', '--db', db, '--json']);
    expect((JSON.parse(list.stdout) as { id: string; disabledAt: string | null }[]).map((operator) => [operator.id, operator.disabledAt !== null])).toEqual([
      ['admin', false],
      ['tech.a', true],
    ]);
    const enabled = runCli(['operators', 'enable', '--db', db, '--id', 'tech.a', '--as', 'admin'], { input: '4711235\n' });
    expect(enabled.stdout, enabled.stderr).toMatch(/^tech\.a\tsupervisor\tactive\t/);
    const reset = runCli(['operators', 'reset-pin', '--db', db, '--id', 'tech.a', '--as', 'admin'], { input: '4711235\n87654321\n' });
    expect(reset.stdout, reset.stderr).toMatch(/^PIN reset: tech\.a\tsupervisor\tactive\t/);
    const weak = runCli(['operators', 'reset-pin', '--db', db, '--id', 'tech.a', '--as', 'admin'], { input: '4711235\n12\n' });
    expect(weak.status).toBe(1);
    const role = runCli(['operators', 'set-role', '--db', db, '--id', 'tech.a', '--role', 'technician', '--as', 'admin'], { input: '4711235\n' });
    expect(role.stdout, role.stderr).toMatch(/^Role changed: tech\.a\ttechnician\tactive\t/);
    const lastAdmin = runCli(['operators', 'set-role', '--db', db, '--id', 'admin', '--role', 'supervisor', '--as', 'admin'], { input: '4711235\n' });
    expect(lastAdmin.status).toBe(1);
    expect(lastAdmin.stderr).toContain('last active admin');
    const records = openStationRecords({ database: db });
    try {
      expect(records.operators.authenticate({ id: 'tech.a', pin: '87654321' }).id).toBe('tech.a');
    } finally {
      records.close();
    }
  }, 90_000);
});

describe('lockstep operators under parallel guessing', () => {
  it('checks at most five PINs of an account however many processes guess at once, then refuses even the right one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-guess-'));
    const db = join(dir, 'station.sqlite');
    try {
      expect(runCli(['operators', 'add', '--db', db, '--id', 'admin', '--name', 'Admin'], { input: '4711235\n' }).status).toBe(0);
      const guesses = await Promise.all(
        Array.from({ length: 8 }, (_, index) =>
          runCliAsync(['operators', 'unlock', '--db', db, '--id', 'admin', '--as', 'admin'], { input: `00000${index}\n` }),
        ),
      );
      const checked = guesses.filter((run) => /unknown operator or wrong PIN|is now locked/.test(run.stderr));
      const refused = guesses.filter((run) => /locked after 5 wrong PINs/.test(run.stderr));
      expect(checked.length).toBe(5);
      expect(refused.length).toBe(3);
      const right = runCli(['operators', 'unlock', '--db', db, '--id', 'admin', '--as', 'admin'], { input: '4711235\n' });
      expect(right.status).toBe(1);
      expect(right.stderr).toContain('locked after 5 wrong PINs');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('lockstep records', () => {
  let station: StationFixture;
  let db: string;
  beforeAll(() => {
    station = createStationFixture();
    db = join(station.dir, DATABASE_FILE);
    station.provision({ serial: 'LS7A5000', imei: '352099001761481' });
    station.provision({ serial: 'LS\u001b]0;pwned\u0007\u202Egnp.exe', imei: null, fail: { step: 'flash', reason: 'FAIL\u0000remote: \u001b[2Jerase' } });
  });
  afterAll(() => station.cleanup());

  it('lists and shows records with terminal control sequences and bidi overrides escaped', () => {
    const list = runCli(['records', 'list', '--db', db]);
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toContain('LS7A5000');
    expect(list.stdout).toContain('LS\\x1B]0;pwned\\x07\\u202Egnp.exe');
    expect(list.stdout).toContain('flash: [DEVICE_REFUSED] FAIL\\x00remote: \\x1B[2Jerase');
    const show = runCli(['records', 'show', '--db', db, '2']);
    expect(show.status, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/Failure reason: +FAIL\\x00remote/);
    expect(show.stdout).toMatch(/flash +failed/);
    const json = runCli(['records', 'show', '--db', db, '2', '--json']);
    expect((JSON.parse(json.stdout) as { serial: string }).serial).toBe('LS\u001b]0;pwned\u0007\u202Egnp.exe');
    for (const output of [list.stdout, show.stdout, json.stdout]) {
      expect([...output].filter((char) => char !== '\n' && isUnsafeCodePoint(char.codePointAt(0) ?? 0))).toEqual([]);
    }
  });

  it('filters by status and exports each format, refusing bad options with the usage code', () => {
    const failed = runCli(['records', 'list', '--db', db, '--status', 'failed', '--since', '2020-01-01']);
    expect(failed.stdout.trim().split('\n')).toHaveLength(1);
    for (const format of ['csv', 'jsonl', 'pdf']) {
      const out = join(station.dir, `cli.${format}`);
      const run = runCli(['records', 'export', '--db', db, '--format', format, '--out', out, '--batch', String(station.batchId)]);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^Wrote 2 records to .* \(chain head record 2 [0-9a-f]{64}\)\.$/m);
    }
    expect(runCli(['records', 'export', '--db', db, '--format', 'xlsx', '--out', 'x']).status).toBe(64);
    for (const since of ['yesterday', '5', '2026-11-24T09:00', '2026-02-30']) {
      const run = runCli(['records', 'list', '--db', db, '--since', since]);
      expect(run.status, since).toBe(1);
      expect(run.stderr, since).toContain('ISO 8601');
    }
    expect(runCli(['records', 'list', '--db', join(station.dir, 'missing.sqlite')]).stderr).toContain('there is no records database');
  });

  it('pins the station key printed by station-key', () => {
    const key = runCli(['records', 'station-key', '--db', db]);
    expect(key.stdout).toContain('-----BEGIN PUBLIC KEY-----');
    const base64 = /^Base64: (\S+)$/m.exec(key.stdout)?.[1] ?? '';
    expect(base64).toBe(station.records.identity.publicKey);
    const verified = runCli(['records', 'verify', join(station.dir, 'cli.jsonl'), '--station-key', base64]);
    expect(verified.status, verified.stderr).toBe(0);
    expect(verified.stdout).not.toContain('taken from the file itself');
    const rsa = join(station.dir, 'rsa.pub.pem');
    writeFileSync(rsa, generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'pem', type: 'spki' }));
    const wrongKind = runCli(['records', 'verify', join(station.dir, 'cli.jsonl'), '--station-key', rsa]);
    expect(wrongKind.status).toBe(64);
    expect(wrongKind.stderr).toContain('is an rsa key, not the Ed25519 key');
  });

  it('refuses to verify the CSV or PDF export, saying only the JSON Lines export carries the signed chain', () => {
    for (const format of ['CSV', 'PDF']) {
      const run = runCli(['records', 'verify', join(station.dir, `cli.${format.toLowerCase()}`)]);
      expect(run.status, format).toBe(1);
      expect(run.stderr, format).toContain(`is a ${format} export: only JSON Lines exports (.jsonl) can be verified`);
      expect(run.stderr, format).toContain('the signed hash chain is only in the JSON Lines export');
      expect(run.stderr, format).not.toMatch(/NOT INTACT|malformed|edited or damaged/);
    }
  });

  it('keeps records linked to the batch they were authorised for', () => {
    expect(station.records.authorisations.listForBatch(station.batchId)[0]).toMatchObject({ bundleHash: BUNDLE_HASH, supervisorId: 'sup.kowalski' });
    expect(station.records.log.latest({ batchId: station.batchId }, 10).map((record) => record.operatorId)).toEqual([TECHNICIAN.id, TECHNICIAN.id]);
  });
});
