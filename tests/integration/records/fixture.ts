// A station with realistic records, for the records tests: an admin, a supervisor, a technician,
// one batch of the reference model authorised for camera and GPS fuses and lock, and handsets
// committed through the same calls the pipeline makes.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATABASE_FILE, openStationRecords, STATION_KEY_FILE, type StationRecords } from '../../../src/main/records/station-records.ts';
import type { NewRecord } from '../../../src/main/records/provisioning-log.ts';
import type { ProvisioningRecord } from '../../../src/shared/records.ts';
import type { StepEventFacts } from '../../../src/shared/step-events.ts';
import { addDepotOperators, SUPERVISOR, TECHNICIAN } from '../../depot-operators.ts';
export { ADMIN, SUPERVISOR, TECHNICIAN } from '../../depot-operators.ts';

export const BUNDLE_HASH = 'a3f1c9e07b5d2846f0e1d2c3b4a5968778695a4b3c2d1e0f1a2b3c4d5e6f7081';

/** The passed event of each reversible step a fixture handset goes through, with its typed data. */
const PASSED: Record<'identify' | 'precheck' | 'flash' | 'verify', StepEventFacts> = {
  identify: { step: 'identify', status: 'passed', data: { identity: { product: 'lockstep-ref' } } },
  precheck: { step: 'precheck', status: 'passed', data: null },
  flash: { step: 'flash', status: 'passed', data: { written: true, bytes: 4096 } },
  verify: { step: 'verify', status: 'passed', data: { partitions: [{ name: 'boot_a', sha256: BUNDLE_HASH }] } },
};

export interface Handset {
  readonly serial: string;
  readonly imei: string | null;
  readonly fail?: { readonly step: 'flash' | 'verify' | 'checks'; readonly reason: string };
}

export interface StationFixture {
  readonly dir: string;
  readonly records: StationRecords;
  readonly batchId: number;
  readonly authorisationId: number;
  readonly provision: (handset: Handset) => ProvisioningRecord;
  readonly cleanup: () => void;
}

/**
 * A copy of another fixture's station as it is now: its journal (a consistent snapshot) and its
 * signing key, as a backup restored elsewhere or a cloned machine would hold them.
 */
function cloneStation(of: StationFixture, dir: string): void {
  const source = new DatabaseSync(of.records.databasePath, { readOnly: true });
  try {
    source.prepare('VACUUM INTO ?').run(join(dir, DATABASE_FILE));
  } finally {
    source.close();
  }
  copyFileSync(join(of.dir, STATION_KEY_FILE), join(dir, STATION_KEY_FILE));
}

/**
 * `now` is the station clock; tests that cross an expiry pass one they can move. `cloneOf` starts from
 * a copy of another fixture's station (its batch and authorisation go on).
 */
export function createStationFixture(
  options: { deviceCap?: number; now?: () => Date; assetTagPattern?: string; cloneOf?: StationFixture } = {},
): StationFixture {
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-records-'));
  if (options.cloneOf) cloneStation(options.cloneOf, dir);
  const records = openStationRecords({ database: join(dir, DATABASE_FILE), now: options.now });
  if (!options.cloneOf) addDepotOperators(records);
  const batch = options.cloneOf
    ? { id: options.cloneOf.batchId }
    : records.startBatch({ name: 'Depot 7 / Nov intake', product: 'lockstep-ref', bundleHash: BUNDLE_HASH, bundleVersion: 'LSR-14.2.0', operatorId: TECHNICIAN.id, assetTagPattern: options.assetTagPattern ?? null });
  const authorisation = options.cloneOf
    ? { id: options.cloneOf.authorisationId }
    : records.authorisations.authorise(SUPERVISOR, {
        batchId: batch.id,
        fuses: ['CAMERA_DISABLE', 'GPS_DISABLE'],
        lock: true,
        bundleHash: BUNDLE_HASH,
        deviceCap: options.deviceCap ?? 500,
        expiresAt: new Date(Date.now() + 8 * 3600_000).toISOString(),
      });

  function provision(handset: Handset): ProvisioningRecord {
    const device = records.registerDevice({ batchId: batch.id, serial: handset.serial, identity: { product: 'lockstep-ref', 'hw-revision': 'B2', unlocked: 'yes' } });
    for (const step of ['identify', 'precheck', 'flash', 'verify'] as const) {
      const failed = handset.fail?.step === step;
      if (failed) records.appendStepEvent({ deviceId: device.id, step, status: 'failed', code: 'DEVICE_REFUSED', data: null, detail: handset.fail?.reason ?? null, operatorId: TECHNICIAN.id });
      else records.appendStepEvent({ deviceId: device.id, ...PASSED[step], operatorId: TECHNICIAN.id });
      if (failed) break;
    }
    const reachedFuse = handset.fail === undefined || handset.fail.step === 'checks';
    if (reachedFuse) {
      const decision = records.isAuthorised({ batchId: batch.id, serial: handset.serial, step: 'fuse', fuses: ['CAMERA_DISABLE', 'GPS_DISABLE'], bundleHash: BUNDLE_HASH });
      const fuse: StepEventFacts = decision.authorised
        ? { step: 'fuse', status: 'passed', data: { after: [{ bank: 3, word: 0, value: 0x31 }], burned: ['CAMERA_DISABLE', 'GPS_DISABLE'] } }
        : { step: 'fuse', status: 'skipped', data: null };
      records.appendStepEvent({ deviceId: device.id, ...fuse, operatorId: TECHNICIAN.id, authorisation: decision });
    }
    return records.commitProvisioningRecord(
      recordFor(device.id, {
        imei: handset.imei,
        firmwareVersion: reachedFuse ? 'LSR-14.2.0' : null,
        fusesBurned: reachedFuse ? ['CAMERA_DISABLE', 'GPS_DISABLE'] : [],
        fuseReadback: [{ bank: 3, word: 0, value: reachedFuse ? 0x31 : 0x01 }],
        locked: reachedFuse,
        outcome: handset.fail ? 'failed' : 'provisioned',
        failedStep: handset.fail?.step ?? null,
        failureCode: handset.fail ? FIXTURE_FAILURE_CODES[handset.fail.step] : null,
        failureReason: handset.fail?.reason ?? null,
        authorisationId: reachedFuse ? authorisation.id : null,
      }),
    );
  }

  return {
    dir,
    records,
    batchId: batch.id,
    authorisationId: authorisation.id,
    provision,
    cleanup: () => {
      records.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The code each failing step of the fixture's handsets gives, as the pipeline would. */
const FIXTURE_FAILURE_CODES = { flash: 'DEVICE_REFUSED', verify: 'VERIFY_MISMATCH', checks: 'CHECK_FAILED' } as const;

/** Luhn-valid IMEIs: 35 209 900 176148 + check digit, counting up. */
export function imei(n: number): string {
  const body = `35209900${String(176148 + n).padStart(6, '0')}`;
  const sum = [...body].reverse().reduce((total, digit, index) => {
    const value = Number(digit) * (index % 2 === 0 ? 2 : 1);
    return total + (value > 9 ? value - 9 : value);
  }, 0);
  return body + String((10 - (sum % 10)) % 10);
}

/**
 * What the pipeline commits for a handset of the reference model that failed its AT checks
 * before the irreversible steps; tests override the fields they exercise.
 */
export function recordFor(deviceId: number, overrides: Partial<NewRecord> = {}): NewRecord {
  return {
    deviceId,
    product: 'lockstep-ref',
    hwRevision: 'B2',
    bootloaderVersion: 'LSB-3.1.7',
    imei: null,
    firmwareVersion: 'LSR-14.2.0',
    bundleHash: BUNDLE_HASH,
    bundleVersion: 'LSR-14.2.0',
    fusesBurned: [],
    fuseReadback: [{ bank: 3, word: 0, value: 0x01 }],
    locked: false,
    outcome: 'failed',
    failedStep: 'checks',
    failureCode: 'CHECK_FAILED',
    failureReason: 'AT+XCAPS? reported CAMERA=PRESENT',
    operatorId: TECHNICIAN.id,
    authorisationId: null,
    evidence: {
      slot: '1-3.2',
      supervisorId: null,
      startedAt: '2026-11-25T08:00:00.000Z',
      finishedAt: '2026-11-25T08:04:00.000Z',
      identityBefore: { serial: 'LS7A0001', product: 'lockstep-ref', hwRevision: 'B2', lockState: 'yes' },
      identityAfter: { imei: null, firmwareVersion: 'LSR-14.2.0' },
      partitions: [{ name: 'boot_a', sha256: BUNDLE_HASH }],
      fuseWordsBefore: [{ bank: 3, word: 0, value: 0x01 }],
      atPort: null,
      lockState: null,
      checks: [{ id: 'camera-absent', passed: false, command: 'AT+XCAPS?', answer: '+XCAPS: CAMERA=PRESENT,GPS=ABSENT | OK' }],
    },
    ...overrides,
  };
}
