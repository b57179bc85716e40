// The pipeline through the station API, as the operator UI drives it: every call goes through
// `dispatch` (the trust boundary), live state arrives as versioned, coalesced snapshots, and a
// failure keeps its own code.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../../src/main/api/dispatch.ts';
import { generateDemoBundle } from '../../../src/main/bundle/demo.ts';
import { openStationRecords } from '../../../src/main/records/station-records.ts';
import { openStation, type OpenedStation } from '../../../src/main/station/open-station.ts';
import type { PipelineSnapshot } from '../../../src/shared/pipeline.ts';

const ADMIN = { id: 'admin', pin: '4711235' };
const SUPERVISOR = { id: 'sup.kowalski', pin: '90210044' };
const TECHNICIAN = { id: 'tech.ng', pin: '55550001' };

let dir: string;
let bundle: string;
let opened: OpenedStation;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lockstep-api-'));
  bundle = join(dir, 'bundle');
  await generateDemoBundle({ out: bundle });
  const records = openStationRecords(dir);
  records.operators.createFirstAdmin({ id: ADMIN.id, displayName: 'Depot Admin', pin: ADMIN.pin });
  records.operators.add(ADMIN, { id: SUPERVISOR.id, displayName: 'A. Kowalski', role: 'supervisor', pin: SUPERVISOR.pin });
  records.operators.add(ADMIN, { id: TECHNICIAN.id, displayName: 'T. Ng', role: 'technician', pin: TECHNICIAN.pin });
  records.close();
  opened = await openStation({ dataDir: dir, fleet: 'simulated', demo: true });
}, 60_000);

afterAll(async () => {
  await opened?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the pipeline through the station API', () => {
  it('refuses a supervisor without the role, keeping the code, and starts nothing', async () => {
    const result = await dispatch(opened.station, 'batch.start', { bundlePath: bundle, operator: TECHNICIAN, supervisor: TECHNICIAN, deviceCap: 4 });
    expect(result).toMatchObject({ ok: false, error: { code: 'failed', failure: 'ROLE_NOT_ALLOWED' } });
    expect(await dispatch(opened.station, 'pipeline.snapshot', undefined)).toEqual({ ok: true, value: null });
  });

  it('refuses malformed batch requests before the core runs', async () => {
    const result = await dispatch(opened.station, 'batch.start', { bundlePath: bundle, operator: TECHNICIAN, supervisor: SUPERVISOR, deviceCap: 0 });
    expect(result).toMatchObject({ ok: false, error: { code: 'bad-request' } });
  });

  it('provisions the simulated fleet, publishing versioned snapshots at most about ten a second', async () => {
    const snapshots: PipelineSnapshot[] = [];
    const stop = opened.station.subscribe('pipeline.snapshot', (snapshot) => snapshots.push(snapshot));
    const started = Date.now();
    const result = await dispatch(opened.station, 'batch.start', { bundlePath: bundle, operator: TECHNICIAN, supervisor: SUPERVISOR, deviceCap: 4, parallel: 2 });
    expect(result).toMatchObject({ ok: true, value: { batch: { demo: true, fuses: ['CAMERA_DISABLE', 'GPS_DISABLE'] } } });
    const paused = await dispatch(opened.station, 'batch.pause', undefined);
    expect(paused).toMatchObject({ ok: true, value: { paused: true } });
    await dispatch(opened.station, 'batch.resume', undefined);
    await expect.poll(() => snapshots.at(-1)?.counters.provisioned, { timeout: 60_000, interval: 200 }).toBe(4);
    stop();
    const seconds = (Date.now() - started) / 1000;
    const versions = snapshots.map((snapshot) => snapshot.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);
    expect(snapshots.length).toBeLessThanOrEqual(Math.ceil(seconds * 10) + 3);
    expect(snapshots.at(-1)?.handsets.map((handset) => [handset.slot, handset.phase])).toEqual([
      ['1-1.1', 'provisioned'],
      ['1-1.2', 'provisioned'],
      ['1-1.3', 'provisioned'],
      ['1-1.4', 'provisioned'],
    ]);
    const late: PipelineSnapshot[] = [];
    opened.station.subscribe('pipeline.snapshot', (snapshot) => late.push(snapshot))();
    expect(late).toHaveLength(1);
    expect(late[0]?.version).toBeGreaterThanOrEqual(snapshots.at(-1)?.version ?? 0);
  }, 90_000);

  it('answers retry and abort for a handset that has nothing to retry or abort with false, not an error', async () => {
    expect(await dispatch(opened.station, 'handset.abort', { serial: 'LSIM0001' })).toEqual({ ok: true, value: false });
    expect(await dispatch(opened.station, 'handset.retry', { serial: 'NOSUCH' })).toEqual({ ok: true, value: false });
    expect(await dispatch(opened.station, 'batch.start', { bundlePath: bundle, operator: TECHNICIAN, supervisor: SUPERVISOR, deviceCap: 4 })).toMatchObject({
      ok: false,
      error: { message: expect.stringContaining('already running') },
    });
  });
});
