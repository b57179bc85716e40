// The pipeline through the station API, as the operator UI drives it: every call goes through
// `dispatch` (the trust boundary), a session in main says who acts, the supervisor's gate holds every
// handset before its fuse step until authorised (pause and resume are a person's, apart from it), live
// state arrives as versioned, coalesced snapshots, and a failure keeps its own code.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../../src/main/api/dispatch.ts';
import { generateDemoBundle } from '../../../src/main/bundle/demo.ts';
import { openStationRecords } from '../../../src/main/records/station-records.ts';
import { openStation, type OpenedStation } from '../../../src/main/station/open-station.ts';
import type { BundleOverview, BundleProgress, HandsetDetail, LabelImage, RecordList, StationSettingsView } from '../../../src/shared/api.ts';
import type { PipelineSnapshot } from '../../../src/shared/pipeline.ts';
import type { OperatorSummary, ProvisioningRecord } from '../../../src/shared/records.ts';
import { ADMIN, addDepotOperators, SUPERVISOR, TECHNICIAN } from '../../depot-operators.ts';


let dir: string;
let bundle: string;
let opened: OpenedStation;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lockstep-api-'));
  bundle = join(dir, 'bundle');
  await generateDemoBundle({ out: bundle });
  const records = openStationRecords(dir);
  addDepotOperators(records);
  records.close();
  opened = await openStation({ dataDir: dir, fleet: 'simulated', demo: true });
}, 60_000);

afterAll(async () => {
  await opened?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the pipeline through the station API', () => {
  it('refuses to start a batch when nobody is signed in, and a wrong PIN keeps its code', async () => {
    expect(await dispatch(opened.station, 'batch.start', { bundlePath: bundle, expectedCount: 4 })).toMatchObject({
      ok: false,
      error: { code: 'failed', failure: 'NOT_SIGNED_IN' },
    });
    expect(await dispatch(opened.station, 'session.signIn', { id: TECHNICIAN.id, pin: '00000000' })).toMatchObject({
      ok: false,
      error: { failure: 'SIGN_IN_FAILED' },
    });
    // Nor does the live state go to anyone before a sign-in.
    expect(await dispatch(opened.station, 'pipeline.snapshot', undefined)).toMatchObject({ ok: false, error: { failure: 'NOT_SIGNED_IN' } });
  });

  it('signs a technician in without handing back the PIN, and keeps operator settings to admins', async () => {
    const signedIn = await dispatch(opened.station, 'session.signIn', TECHNICIAN);
    expect(signedIn).toMatchObject({ ok: true, value: { operator: { id: TECHNICIAN.id, displayName: 'T. Ng', role: 'technician' } } });
    expect(JSON.stringify(signedIn)).not.toContain(TECHNICIAN.pin);
    expect(await dispatch(opened.station, 'operators.list', undefined)).toMatchObject({ ok: false, error: { failure: 'ROLE_NOT_ALLOWED' } });
    const settings = await dispatch(opened.station, 'settings.read', undefined);
    expect(settings).toMatchObject({ ok: true, value: { station: { mode: 'simulated', demo: true } } });
    if (settings.ok) expect((settings.value as StationSettingsView).trust.keys.some((key) => key.demo)).toBe(true);
  });

  it('refuses malformed batch requests before the core runs', async () => {
    const result = await dispatch(opened.station, 'batch.start', { bundlePath: bundle, expectedCount: 0 });
    expect(result).toMatchObject({ ok: false, error: { code: 'bad-request' } });
  });

  it('verifies a bundle for the setup screen with progress, and says what its policy burns', async () => {
    const progress: BundleProgress[] = [];
    const stop = opened.station.subscribe('bundle.progress', (value) => progress.push(value));
    const result = await dispatch(opened.station, 'bundle.verify', { bundlePath: bundle });
    stop();
    expect(result).toMatchObject({
      ok: true,
      value: { products: ['lockstep-ref'], version: '1.0.0-demo', policy: { fuses: ['CAMERA_DISABLE', 'GPS_DISABLE'], lockBootloader: true }, signer: { demo: true } },
    });
    if (result.ok) expect((result.value as BundleOverview).profiles.map((profile) => profile.id)).toContain('lockstep-ref');
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)?.overallDone).toBe(progress.at(-1)?.overallTotal);
  });

  it('flashes the fleet before the supervisor comes, holds it at the fuse step until authorised, then provisions it', async () => {
    const snapshots: PipelineSnapshot[] = [];
    const stop = opened.station.subscribe('pipeline.snapshot', (snapshot) => snapshots.push(snapshot));
    const started = Date.now();
    // The setup screen verified this bundle just before: starting checks its signature again but hashes no
    // image, so no progress is published beyond the verification's last one, which a new listener gets at once.
    const verified = await opened.station['bundle.progress'](undefined);
    const hashing: BundleProgress[] = [];
    const stopProgress = opened.station.subscribe('bundle.progress', (value) => hashing.push(value));
    const result = await dispatch(opened.station, 'batch.start', { bundlePath: bundle, expectedCount: 4, parallel: 2, assetTagPattern: 'T-{seq:04}' });
    stopProgress();
    expect(verified).not.toBeNull();
    expect(hashing).toEqual([verified]);
    expect(result).toMatchObject({ ok: true, value: { startedBy: TECHNICIAN.id, gateRequired: true, authorisation: null, info: { demo: true } } });
    // Every handset is flashed and verified, then waits for the supervisor before anything irreversible.
    const atGate = (snapshot: PipelineSnapshot | undefined): boolean =>
      snapshot?.handsets.length === 4 && snapshot.handsets.every((handset) => handset.phase === 'waiting-for-authorisation');
    await expect.poll(() => atGate(snapshots.at(-1)), { timeout: 30_000, interval: 100 }).toBe(true);
    expect(snapshots.at(-1)?.paused).toBe(false);
    expect(snapshots.at(-1)?.handsets.map((handset) => [handset.step, handset.steps.verify, handset.steps.fuse, handset.steps.lock])).toEqual(
      Array(4).fill(['fuse', 'passed', 'waiting', 'waiting']),
    );
    // Pause and resume are a person's and open nothing: the handsets still wait for the supervisor.
    expect(await dispatch(opened.station, 'batch.pause', undefined)).toMatchObject({ ok: true, value: { paused: true } });
    expect(await dispatch(opened.station, 'batch.resume', undefined)).toMatchObject({ ok: true, value: { paused: false } });
    expect(await dispatch(opened.station, 'batch.authorise', { supervisor: TECHNICIAN, deviceCap: 4 })).toMatchObject({
      ok: false,
      error: { failure: 'ROLE_NOT_ALLOWED' },
    });
    expect(atGate((await opened.station['pipeline.snapshot'](undefined)) ?? undefined)).toBe(true);
    const authorised = await dispatch(opened.station, 'batch.authorise', { supervisor: SUPERVISOR, deviceCap: 4 });
    expect(authorised).toMatchObject({ ok: true, value: { authorisation: { supervisorId: SUPERVISOR.id, deviceCap: 4, fuses: ['CAMERA_DISABLE', 'GPS_DISABLE'], lock: true } } });
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

  it("shows a handset's journal and record, finds records by serial, IMEI and asset tag, exports and verifies them", async () => {
    const detail = await dispatch(opened.station, 'handset.detail', { serial: 'LSIM0001' });
    expect(detail).toMatchObject({ ok: true, value: { serial: 'LSIM0001', record: { outcome: 'provisioned', serial: 'LSIM0001' } } });
    const handset = (detail as { value: HandsetDetail }).value;
    expect(handset.events.map((event) => event.step)).toEqual(expect.arrayContaining(['detect', 'identify', 'flash', 'fuse', 'lock', 'checks']));
    const record = handset.record as ProvisioningRecord & { assetTag: string | null };
    expect(record.assetTag).toMatch(/^T-\d{4}$/);

    const all = await dispatch(opened.station, 'records.list', {});
    expect(all).toMatchObject({ ok: true, value: { total: 4 } });
    for (const search of [' lsim0001 ', record.imei ?? '', record.assetTag ?? '']) {
      const found = await dispatch(opened.station, 'records.list', { search });
      expect((found as { value: RecordList }).value.records.map((match) => match.serial)).toEqual(['LSIM0001']);
    }
    const shown = await dispatch(opened.station, 'records.show', { seq: record.seq });
    expect(shown).toMatchObject({ ok: true, value: { record: { hash: record.hash } } });

    const csv = join(dir, 'export.csv');
    expect(await dispatch(opened.station, 'records.export', { format: 'csv', path: csv })).toMatchObject({ ok: true, value: { records: 4, path: csv } });
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    for (const serial of ['LSIM0001', 'LSIM0002', 'LSIM0003', 'LSIM0004']) expect(lines.some((line) => line.includes(serial))).toBe(true);
    const jsonl = join(dir, 'export.jsonl');
    await dispatch(opened.station, 'records.export', { format: 'jsonl', path: jsonl, filter: { status: 'provisioned' } });
    expect(await dispatch(opened.station, 'records.verify', { path: jsonl })).toMatchObject({ ok: true, value: { intact: true, records: 4, keyPinned: true } });
  });

  it("previews labels (a handset's from its record, a batch's with sample values) and says when no printer is set", async () => {
    expect(await dispatch(opened.station, 'labels.status', undefined)).toEqual({ ok: true, value: { printer: null, status: null } });
    const preview = await dispatch(opened.station, 'labels.preview', { serial: 'LSIM0001' });
    expect(Buffer.from((preview as { value: LabelImage }).value.png, 'base64').subarray(1, 4).toString()).toBe('PNG');
    const batch = await dispatch(opened.station, 'labels.batchPreview', { assetTagPattern: 'T-{seq:04}', product: 'lockstep-ref', bundleVersion: '1.0.0-demo' });
    expect(Buffer.from((batch as { value: LabelImage }).value.png, 'base64').subarray(1, 4).toString()).toBe('PNG');
    expect(await dispatch(opened.station, 'labels.reprint', { serial: 'LSIM0001', reason: 'label smudged' })).toMatchObject({ ok: false, error: { failure: 'NO_PRINTER' } });
  });

  it('answers retry and abort for a handset that has nothing to retry or abort with false, not an error', async () => {
    expect(await dispatch(opened.station, 'handset.abort', { serial: 'LSIM0001' })).toEqual({ ok: true, value: false });
    expect(await dispatch(opened.station, 'handset.retry', { serial: 'NOSUCH' })).toEqual({ ok: true, value: false });
    expect(await dispatch(opened.station, 'batch.start', { bundlePath: bundle, expectedCount: 4 })).toMatchObject({
      ok: false,
      error: { message: expect.stringContaining('already running') },
    });
  });

  it('lists operators for an admin, and nothing acts for anyone once signed out', async () => {
    await dispatch(opened.station, 'session.signIn', ADMIN);
    const operators = await dispatch(opened.station, 'operators.list', undefined);
    expect((operators as { value: OperatorSummary[] }).value.map((operator) => operator.id).sort()).toEqual([ADMIN.id, SUPERVISOR.id, TECHNICIAN.id].sort());
    expect(JSON.stringify(operators)).not.toMatch(/pin/i);
    await dispatch(opened.station, 'session.signOut', undefined);
    expect(await dispatch(opened.station, 'session.current', undefined)).toEqual({ ok: true, value: null });
    expect(await dispatch(opened.station, 'records.list', {})).toMatchObject({ ok: false, error: { failure: 'NOT_SIGNED_IN' } });
  });
});
