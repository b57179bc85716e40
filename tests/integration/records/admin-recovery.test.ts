import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { chmodSync, copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_PIN_FAILURES } from '../../../src/main/records/operators.ts';
import { DATABASE_FILE, STATION_KEY_FILE } from '../../../src/main/records/station-records.ts';
import { runCli } from '../../lockstep-cli.ts';
import { ADMIN, SUPERVISOR, createStationFixture, type StationFixture } from './fixture.ts';

const REASON = 'sole admin locked out after wrong PINs on the kiosk, ticket 4411';

describe('recovering a locked-out admin with the station key', () => {
  let station: StationFixture;
  beforeEach(() => {
    station = createStationFixture();
  });
  afterEach(() => station.cleanup());

  function lockOut(id: string): void {
    for (let attempt = 0; attempt < MAX_PIN_FAILURES; attempt += 1) {
      expect(() => station.records.operators.authenticate({ id, pin: '000000' })).toThrow(/wrong PIN/);
    }
    expect(() => station.records.operators.authenticate({ id, pin: ADMIN.pin })).toThrow(/locked after 5 wrong PINs/);
  }

  it('unlocks the sole admin without a PIN and records who, when, why and the signed challenge', () => {
    lockOut(ADMIN.id);
    expect(() => station.records.operators.unlock(ADMIN, ADMIN.id)).toThrow(/locked/);
    const recovery = station.records.adminRecovery.recover({ adminId: ADMIN.id, reason: REASON });
    expect(recovery).toMatchObject({ operatorId: ADMIN.id, reason: REASON, failedAttemptsBefore: MAX_PIN_FAILURES, lockedAtBefore: expect.any(String) });
    expect(recovery.osUser.length).toBeGreaterThan(0);
    expect(recovery.host.length).toBeGreaterThan(0);
    expect(JSON.parse(recovery.challenge)).toMatchObject({ purpose: 'lockstep-admin-recovery', adminId: ADMIN.id, at: recovery.at, nonce: expect.stringMatching(/^[A-Za-z0-9+/]{43}=$/) });
    const stationKey = createPublicKey(station.records.identity.publicKeyPem);
    expect(verify(null, Buffer.from(recovery.challenge, 'utf8'), stationKey, Buffer.from(recovery.signature, 'base64'))).toBe(true);

    expect(station.records.operators.get(ADMIN.id)).toMatchObject({ lockedAt: null, failedAttempts: 0 });
    expect(station.records.operators.authenticate(ADMIN).id).toBe(ADMIN.id);
    expect(station.records.adminRecovery.list()).toEqual([recovery]);

    expect(() => station.records.adminRecovery.recover({ adminId: ADMIN.id, reason: REASON })).toThrow(/admin is not locked out and has no failed PINs; nothing to recover/);
    expect(station.records.adminRecovery.list()).toHaveLength(1);
  });

  it('recovers only admins that exist, are not disabled, and have something to recover, for a plain-text reason', () => {
    expect(() => station.records.adminRecovery.recover({ adminId: 'nobody', reason: REASON })).toThrow(/there is no operator 'nobody'/);
    expect(() => station.records.adminRecovery.recover({ adminId: SUPERVISOR.id, reason: REASON })).toThrow(/is a supervisor.*an admin unlocks it/);
    station.records.operators.add(ADMIN, { id: 'admin2', displayName: 'Second Admin', role: 'admin', pin: '24682468' });
    station.records.operators.disable(ADMIN, 'admin2');
    expect(() => station.records.adminRecovery.recover({ adminId: 'admin2', reason: REASON })).toThrow(/admin2 is disabled/);
    lockOut(ADMIN.id);
    for (const reason of ['', 'x'.repeat(501), 'ok\u202Eevil', 'line\nbreak']) {
      expect(() => station.records.adminRecovery.recover({ adminId: ADMIN.id, reason })).toThrow(/invalid admin recovery: reason/);
    }
    expect(station.records.operators.get(ADMIN.id)?.lockedAt).not.toBeNull();
    expect(station.records.adminRecovery.list()).toEqual([]);
  });

  it('refuses without the station key file, or with a key file that is not this station’s, and changes nothing', () => {
    lockOut(ADMIN.id);
    const keyPath = join(station.dir, STATION_KEY_FILE);
    const backup = join(station.dir, 'key.backup');
    copyFileSync(keyPath, backup);
    rmSync(keyPath);
    expect(() => station.records.adminRecovery.recover({ adminId: ADMIN.id, reason: REASON })).toThrow(/cannot read the station key .*recovery needs/);
    writeFileSync(keyPath, generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    expect(() => station.records.adminRecovery.recover({ adminId: ADMIN.id, reason: REASON })).toThrow(/is not the key of this station/);
    copyFileSync(backup, keyPath);
    chmodSync(keyPath, 0o644);
    expect(() => station.records.adminRecovery.recover({ adminId: ADMIN.id, reason: REASON })).toThrow(/chmod 600/);
    expect(station.records.operators.get(ADMIN.id)).toMatchObject({ failedAttempts: MAX_PIN_FAILURES, lockedAt: expect.any(String) });
    expect(station.records.adminRecovery.list()).toEqual([]);
    chmodSync(keyPath, 0o600);
    expect(station.records.adminRecovery.recover({ adminId: ADMIN.id, reason: REASON }).operatorId).toBe(ADMIN.id);
  });

  it('keeps recoveries append-only', () => {
    lockOut(ADMIN.id);
    station.records.adminRecovery.recover({ adminId: ADMIN.id, reason: REASON });
    const db = new DatabaseSync(join(station.dir, DATABASE_FILE));
    try {
      expect(() => db.exec('DELETE FROM admin_recoveries')).toThrow(/append-only/);
      expect(() => db.exec("UPDATE admin_recoveries SET reason = 'nothing happened'")).toThrow(/append-only/);
    } finally {
      db.close();
    }
  });

  it('lockstep operators recover unlocks the admin without reading a PIN, and recoveries lists it', () => {
    lockOut(ADMIN.id);
    const db = join(station.dir, DATABASE_FILE);
    const help = runCli(['operators', '--help']);
    expect(help.stdout + help.stderr).toContain('lockstep operators recover --db FILE --id ADMIN --reason TEXT');
    const missingReason = runCli(['operators', 'recover', '--db', db, '--id', ADMIN.id]);
    expect(missingReason.status).toBe(64);
    expect(missingReason.stderr).toContain('missing --reason');
    const run = runCli(['operators', 'recover', '--db', db, '--id', ADMIN.id, '--reason', REASON], { input: '' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Recovered admin admin: unlocked, its 5 failed PINs cleared, locked since \S+Z\.\nRecorded as recovery 1 by \S+@\S+ at \S+Z\.\n$/);
    expect(station.records.operators.authenticate(ADMIN).id).toBe(ADMIN.id);
    const list = runCli(['operators', 'recoveries', '--db', db]);
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^1\t\\S+\tadmin\t\\S+@\\S+\t${REASON}\n$`));
  });
});
