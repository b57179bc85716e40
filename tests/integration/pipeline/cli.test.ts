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
  it('--sim 2 --json provisions two virtual handsets end to end, prints JSON events and a summary line, and exits 0', async () => {
    const run = await lockstep(['provision', '--sim', '2', '--json', '--data', dataDir]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/DEMO MODE/);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('Provisioned 2 of 2 handset(s); 0 failed.');
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ batch: { id: 1, continued: false, demo: true, fuses: ['CAMERA_DISABLE', 'GPS_DISABLE'] } });
    const events = lines.slice(1, -1).map((line) => JSON.parse(line) as { serial: string | null; phase: string; recordSeq: number | null });
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
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('Provisioned 2 of 2 handset(s); 0 failed.');
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
});
