// The record step against a real records store (a temp SQLite file): the handset's outcome is
// committed to the hash-chained log with the evidence each step proved, provisioned or failed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_FILE, openStationRecords, type StationRecords } from '../../../src/main/records/station-records.ts';
import { checks } from '../../../src/main/pipeline/steps/checks.ts';
import { record } from '../../../src/main/pipeline/steps/record.ts';
import type { ProvisioningRecord } from '../../../src/shared/records.ts';
import { addDepotOperators, SUPERVISOR, TECHNICIAN } from '../../depot-operators.ts';
import { expectData, FakeAtPort, harness, IMEI, type HarnessOptions } from './step-harness.ts';

const BUNDLE_HASH = 'f'.repeat(64);
let dir: string;
let store: StationRecords;
let batchId: number;
let authorisationId: number;
let deviceId: number;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lockstep-record-step-'));
  store = openStationRecords({ database: join(dir, DATABASE_FILE) });
  addDepotOperators(store);
  batchId = store.startBatch({ name: 'record step', product: 'lockstep-ref', bundleHash: BUNDLE_HASH, bundleVersion: '1.0.0', operatorId: TECHNICIAN.id }).id;
  const expiresAt = new Date(Date.now() + 3600_000).toISOString();
  authorisationId = store.authorisations.authorise(SUPERVISOR, { batchId, fuses: ['CAMERA_DISABLE', 'GPS_DISABLE'], lock: true, bundleHash: BUNDLE_HASH, deviceCap: 10, expiresAt }).id;
});

afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

let handsets = 0;
/** A context for the record step over the real store and a handset newly registered there, capturing what the step says it committed. */
function setup(options: HarnessOptions = {}) {
  const serial = `LSRS${String(++handsets).padStart(4, '0')}`;
  deviceId = store.registerDevice({ batchId, serial, identity: { product: 'lockstep-ref' } }).id;
  const result = harness('record', { ...options, records: { store, deviceId, operatorId: TECHNICIAN.id } });
  const committed: ProvisioningRecord[] = [];
  result.context.committed = (entry) => void committed.push(entry);
  return { committed, serial, ...result };
}

describe('the record step', () => {
  it('commits a provisioned record with what each step proved, the checks\' answers among it', async () => {
    const { context, facts, committed, serial } = setup();
    // The irreversible steps ran under the authorisation, granted to this handset as the runner asks for it.
    expect(store.isAuthorised({ batchId, serial, step: 'fuse', fuses: ['CAMERA_DISABLE', 'GPS_DISABLE'], bundleHash: BUNDLE_HASH })).toMatchObject({ authorised: true });
    Object.assign(facts, {
      partitions: [{ name: 'boot', sha256: 'a'.repeat(64) }],
      fuseWordsBefore: [{ bank: 3, word: 0, value: 0x01 }],
      fuseWordsAfter: [{ bank: 3, word: 0, value: 0x31 }],
      fusesBurned: ['CAMERA_DISABLE', 'GPS_DISABLE'],
      locked: true,
      lockState: 'no',
      atPort: '/dev/ttyACM3',
      authorisationId,
    });
    // The checks' results as the checks step leaves them, asked of a fake AT port.
    const checked = harness('checks', { atPort: new FakeAtPort() });
    await checks.run(checked.context);
    facts.checks = checked.facts.checks;
    const outcome = await record.run(context);
    expect(outcome).toMatchObject({ status: 'passed', data: { outcome: 'provisioned' } });
    expectData('record', 'passed', outcome.data);
    const seq = outcome.status === 'passed' && outcome.data ? outcome.data.seq : 0;
    expect(outcome.detail).toBe(`provisioned ${seq}`);
    const stored = store.log.get(seq);
    expect(committed).toEqual([stored]);
    expect(stored).toMatchObject({
      serial,
      outcome: 'provisioned',
      imei: IMEI,
      firmwareVersion: '1.0.0',
      fusesBurned: ['CAMERA_DISABLE', 'GPS_DISABLE'],
      fuseReadback: [{ bank: 3, word: 0, value: 0x31 }],
      locked: true,
      failedStep: null,
      failureCode: null,
      authorisationId,
      evidence: { slot: '1-1.1', supervisorId: SUPERVISOR.id, lockState: 'no', atPort: '/dev/ttyACM3', identityAfter: { imei: IMEI, firmwareVersion: '1.0.0' } },
    });
    expect(stored && 'evidence' in stored ? stored.evidence.checks.map((check) => check.id) : []).toHaveLength(6);
    expect(store.log.provisionedSeq(deviceId)).toBe(seq);
  });

  it('commits a failed record naming the step, its code and the message, and stating nothing it did not prove', async () => {
    const reason = { code: 'VERIFY_MISMATCH' as const, message: "the handset's hash of boot does not match the bundle", action: 'Retry the handset.', detail: null };
    const { context } = setup({ failure: { reason, step: 'verify' }, facts: { verified: false } });
    const outcome = await record.run(context);
    expect(outcome).toMatchObject({ status: 'passed', data: { outcome: 'failed' } });
    expectData('record', 'passed', outcome.data);
    const seq = outcome.status === 'passed' && outcome.data ? outcome.data.seq : 0;
    expect(store.log.get(seq)).toMatchObject({
      outcome: 'failed',
      failedStep: 'verify',
      failureCode: 'VERIFY_MISMATCH',
      failureReason: reason.message,
      imei: null,
      fusesBurned: [],
      locked: false,
      authorisationId: null,
      evidence: { supervisorId: null, identityAfter: {}, checks: [] },
    });
    expect(store.log.provisionedSeq(deviceId)).toBeNull();
  });

  it('commits nothing under an authorisation the records never granted to the handset', async () => {
    const { context, facts, committed } = setup();
    facts.authorisationId = authorisationId;
    await expect(record.run(context)).rejects.toThrow(/was not granted to device/);
    expect(committed).toEqual([]);
    expect(store.log.provisionedSeq(deviceId)).toBeNull();
  });
});
