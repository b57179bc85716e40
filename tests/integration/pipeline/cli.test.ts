// `lockstep provision` as an operator or a script runs it (bin/lockstep.js in its own process): the
// one-line demo, a production run with a bundle signed by a trusted key, and the set-up errors that
// must stop it before any batch starts, each with its exit code (docs/pipeline.md: 0 all provisioned,
// 1 any failed, 2 bundle/profile/operator/authorisation errors, 64 a command line it cannot parse).
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStationRecords } from '../../../src/main/records/station-records.ts';
import { depotSignedBundle, SUPERVISOR, TECHNICIAN } from './fixture.ts';
import { addDepotOperators } from '../../depot-operators.ts';

const BIN = resolve(import.meta.dirname, '../../../bin/lockstep.js');

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `lockstep ARGS` with an environment of its own (the PIN variables, a private data folder), which the
 * shared helpers in tests/lockstep-cli.ts do not take; asynchronous so that runs can overlap.
 */
function lockstep(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((settle, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LOCKSTEP_OPERATOR_PIN: '', LOCKSTEP_SUPERVISOR_PIN: '', LOCKSTEP_DATA_DIR: dataDir, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.once('error', fail);
    child.once('close', (status) => settle({ status, stdout, stderr }));
  });
}

/** Standard output of a --json run: every line is one JSON value, or this throws. */
function jsonLines(stdout: string): unknown[] {
  expect(stdout.endsWith('\n')).toBe(true);
  return stdout.slice(0, -1).split('\n').map((line) => JSON.parse(line) as unknown);
}

let dir: string;
let dataDir: string;
let demoBundle: string;
let ownBundle: string;
let trustDir: string;
let fastScenario: string;

/** A records database with an admin, a supervisor and a technician, as `lockstep operators add` leaves it. */
function createStationDb(folder: string): string {
  const database = join(folder, 'records.sqlite');
  const records = openStationRecords({ database });
  try {
    addDepotOperators(records);
  } finally {
    records.close();
  }
  return database;
}

/** A copy of the template station (database and station key), so each run starts from the same state without hashing PINs again. */
function stationDb(name: string): string {
  cpSync(join(dir, 'template'), join(dir, name), { recursive: true });
  return join(dir, name, 'records.sqlite');
}

function batchesIn(database: string): number {
  const records = openStationRecords({ database });
  try {
    return records.journal.listBatches().length;
  } finally {
    records.close();
  }
}

const PINS = { LOCKSTEP_OPERATOR_PIN: TECHNICIAN.pin, LOCKSTEP_SUPERVISOR_PIN: SUPERVISOR.pin };
const people = ['--operator', TECHNICIAN.id, '--supervisor', SUPERVISOR.id];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lockstep-provision-cli-'));
  dataDir = join(dir, 'data');
  mkdirSync(dataDir);
  ({ bundle: ownBundle, trustDir, demoBundle } = await depotSignedBundle(dir));
  createStationDb(join(dir, 'template'));
  fastScenario = join(dir, 'fast.json');
  writeFileSync(
    fastScenario,
    JSON.stringify({ timing: { linkBytesPerSecond: 0, flashBytesPerSecond: 0, rebootMs: 200 }, devices: [{ serial: 'CLI0001' }, { serial: 'CLI0002' }] }),
  );
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// The runs mostly wait (on the child's start-up, the simulated reboot), so they overlap.
describe.concurrent('lockstep provision', () => {
  it('--sim 2 --json provisions two virtual handsets end to end, prints only JSON lines (the summary last), and exits 0', async () => {
    const run = await lockstep(['provision', '--sim', '2', '--json', '--data', dataDir]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/DEMO MODE/);
    expect(run.stderr).toContain('Provisioned 2 of 2 handset(s); 0 failed.');
    const lines = jsonLines(run.stdout);
    expect(lines.at(-1)).toMatchObject({
      summary: { handsets: 2, provisioned: 2, failed: 0, unfinished: 0, outcomes: [{ phase: 'provisioned', serial: 'LSIM0001' }, { phase: 'provisioned', serial: 'LSIM0002' }] },
    });
    expect(lines[0]).toMatchObject({ batch: { id: 1, continued: false, demo: true, fuses: ['CAMERA_DISABLE', 'GPS_DISABLE'] } });
    const events = lines.slice(1, -1) as { serial: string | null; phase: string; recordSeq: number | null }[];
    expect(events.length).toBeGreaterThan(2);
    const provisioned = events.filter((event) => event.phase === 'provisioned');
    expect(new Set(provisioned.map((event) => event.serial)).size).toBe(2);
    expect(provisioned.every((event) => event.recordSeq !== null)).toBe(true);
  }, 60_000);

  it('provisions with a bundle signed by a key it was told to trust, and exits 0', async () => {
    const db = stationDb('trusted');
    const run = await lockstep(['provision', '--bundle', ownBundle, '--trust', trustDir, '--db', db, ...people, '--scenario', fastScenario, '--json', '--data', dataDir], PINS);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/DEMO/);
    expect(jsonLines(run.stdout).at(-1)).toMatchObject({ summary: { handsets: 2, provisioned: 2, failed: 0, unfinished: 0 } });
    expect(run.stderr).toContain('Provisioned 2 of 2 handset(s); 0 failed.');
    expect(batchesIn(db)).toBe(1);
  }, 60_000);

  it('exits 64 for --bundle without --db, saying so', async () => {
    const run = await lockstep(['provision', '--bundle', demoBundle, ...people, '--sim', '1', '--data', dataDir], PINS);
    expect(run.status).toBe(64);
    expect(run.stderr).toMatch(/--db/);
    expect(run.stdout).toBe('');
  });

  it('exits 2 on a wrong supervisor PIN, with a clear message, before any batch starts', async () => {
    const db = stationDb('wrong-pin');
    const run = await lockstep(['provision', '--bundle', ownBundle, '--trust', trustDir, '--db', db, ...people, '--scenario', fastScenario, '--json', '--data', dataDir], {
      ...PINS,
      LOCKSTEP_SUPERVISOR_PIN: '11112222',
    });
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/wrong PIN/i);
    expect(run.stderr).toContain(SUPERVISOR.id);
    expect(run.stderr).not.toMatch(/Started batch|Continuing batch/);
    expect(run.stdout).toBe('');
    expect(batchesIn(db)).toBe(0);
  }, 60_000);

  it('exits 2 naming UNKNOWN_KEY for a bundle signed by a key the station does not trust, before any batch starts', async () => {
    const db = stationDb('untrusted');
    const run = await lockstep(['provision', '--bundle', ownBundle, '--db', db, ...people, '--scenario', fastScenario, '--json', '--data', dataDir], PINS);
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toContain('[UNKNOWN_KEY]');
    expect(run.stderr).not.toMatch(/Started batch|Continuing batch/);
    expect(batchesIn(db)).toBe(0);
  }, 60_000);

  it('exits 2 naming DEMO_KEY_NOT_TRUSTED for the demo bundle outside demo mode', async () => {
    const db = stationDb('demo-key');
    const run = await lockstep(['provision', '--bundle', demoBundle, '--db', db, ...people, '--scenario', fastScenario, '--json', '--data', dataDir], PINS);
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toContain('[DEMO_KEY_NOT_TRUSTED]');
    expect(batchesIn(db)).toBe(0);
  }, 60_000);

  it('stops waiting for a handset left unplugged once the grace period is over, counts it as unfinished, and exits 1', async () => {
    // LEFT0002 drops off the bus during its first download and is never plugged in again; nothing
    // is published after LEFT0001 is done, so only a timer can end the wait.
    const scenario = join(dir, 'unplugged.json');
    writeFileSync(
      scenario,
      JSON.stringify({
        timing: { linkBytesPerSecond: 0, flashBytesPerSecond: 0, rebootMs: 200 },
        devices: [{ serial: 'LEFT0001' }, { serial: 'LEFT0002', faults: [{ kind: 'detach', afterDownloadBytes: 4096, reattachAfterMs: null }] }],
      }),
    );
    const db = stationDb('unplugged');
    const run = await lockstep(['provision', '--bundle', ownBundle, '--trust', trustDir, '--db', db, ...people, '--scenario', scenario, '--grace', '1', '--json', '--data', dataDir], PINS);
    expect(run.status, run.stderr).toBe(1);
    const summary = jsonLines(run.stdout).at(-1) as { summary: { outcomes: { serial: string; phase: string }[] } };
    expect(summary).toMatchObject({ summary: { handsets: 2, provisioned: 1, failed: 0, unfinished: 1 } });
    expect(summary.summary.outcomes.map(({ serial, phase }) => [serial, phase])).toEqual([
      ['LEFT0001', 'provisioned'],
      ['LEFT0002', 'waiting-for-handset'],
    ]);
    expect(run.stderr).toContain('Provisioned 1 of 2 handset(s); 0 failed; 1 not finished (aborted or unplugged).');
  }, 60_000);

  it('says a handset a fuse read-back alarm stopped is quarantined, with the alarm, in its events and the summary', async () => {
    const scenario = join(dir, 'quarantine.json');
    writeFileSync(
      scenario,
      JSON.stringify({
        timing: { linkBytesPerSecond: 0, flashBytesPerSecond: 0, rebootMs: 200 },
        devices: [{ serial: 'QCLI0001', faults: [{ kind: 'fuse-readback', bank: 3, word: 0, clearBits: 32 }] }],
      }),
    );
    const db = stationDb('quarantine');
    const run = await lockstep(['provision', '--bundle', ownBundle, '--trust', trustDir, '--db', db, ...people, '--scenario', scenario, '--json', '--data', dataDir], PINS);
    expect(run.status, run.stderr).toBe(1);
    const lines = jsonLines(run.stdout) as { serial?: string; quarantine?: unknown; summary?: { outcomes: unknown[] } }[];
    const quarantine = { code: 'FUSE_READBACK_MISMATCH', step: 'fuse', message: expect.stringMatching(/^ALARM: /) };
    expect(lines.filter((line) => line.serial === 'QCLI0001' && line.quarantine !== null).map((line) => line.quarantine)).toEqual([quarantine]);
    expect(lines.at(-1)?.summary?.outcomes).toEqual([expect.objectContaining({ serial: 'QCLI0001', phase: 'failed', quarantine })]);
  }, 60_000);

  it('reports a TCP endpoint of the station settings that does not parse, and still runs on the other sources', async () => {
    const data = join(dir, 'bad-endpoint');
    mkdirSync(data);
    writeFileSync(join(data, 'station-settings.json'), JSON.stringify({ tcpEndpoints: ['tcp:127.0.0.1:5554-9999'] }));
    const db = stationDb('bad-endpoint');
    // Hardware sources without --expect run until Ctrl-C: the run is interrupted once the batch has started.
    const child = spawn(process.execPath, [BIN, 'provision', '--bundle', ownBundle, '--trust', trustDir, '--db', db, ...people, '--json', '--data', data], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...PINS, LOCKSTEP_DATA_DIR: data },
    });
    let stderr = '';
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    const reported = new Promise<void>((done) =>
      child.stderr.setEncoding('utf8').on('data', (text: string) => {
        stderr += text;
        if (/Started batch/.test(stderr)) done();
      }),
    );
    const closed = new Promise<number | null>((done) => child.once('close', done));
    await Promise.race([reported, closed]);
    child.kill('SIGINT');
    const status = await closed;
    expect(stderr).toContain("tcp: station-settings.json tcpEndpoints: 'tcp:127.0.0.1:5554-9999': a range covers 1 to 256 ports, first to last; this endpoint is not watched until it is fixed");
    expect(status, stderr).toBe(1);
    expect(jsonLines(stdout).at(-1)).toMatchObject({ summary: { handsets: 0, provisioned: 0 } });
  }, 60_000);
});

