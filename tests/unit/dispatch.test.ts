import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../src/main/api/dispatch.ts';
import { CodedError } from '../../src/shared/coded-error.ts';
import { HandsetRegistry } from '../../src/main/discovery/registry.ts';
import { openStationRecords } from '../../src/main/records/station-records.ts';
import type { StationApi } from '../../src/shared/api.ts';
import { createStation } from '../../src/main/station/station.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'lockstep-dispatch-'));
const station = createStation({ mode: 'hardware', registry: new HandsetRegistry([]), dataDir, demo: false });
afterAll(async () => {
  await station.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('dispatch: the trust boundary in front of the core', () => {
  it('answers a declared call with the core value', async () => {
    const result = await dispatch(station, 'station.info', undefined);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.value).toMatchObject({ name: 'lockstep', mode: 'hardware' });
  });

  it('refuses a channel the API does not declare, quoting at most 80 characters of it', async () => {
    const result = await dispatch(station, `evil${'x'.repeat(500)}`, undefined);
    expect(result).toEqual({ ok: false, error: { code: 'unknown-channel', failure: null, message: `Unknown station API call: evil${'x'.repeat(76)}` } });
  });

  it('refuses a payload that does not match the channel schema, before the core runs', async () => {
    let called = false;
    const spy: StationApi = { ...station, 'devices.scan': async () => ((called = true), station['devices.scan'](undefined)) };
    const result = await dispatch(spy, 'devices.scan', { all: true });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('bad-request');
      expect(result.error.message).toMatch(/^Invalid request to devices\.scan: /);
    }
    expect(called).toBe(false);
  });

  it('turns a failure inside the core into an error result carrying its message', async () => {
    const failing: StationApi = {
      ...station,
      'devices.scan': async () => {
        throw new Error('hub 2 lost power');
      },
    };
    expect(await dispatch(failing, 'devices.scan', undefined)).toEqual({ ok: false, error: { code: 'failed', failure: null, message: 'hub 2 lost power' } });
  });

  it("carries a coded failure's parameters across the boundary, for the front end to word its code with", async () => {
    const failing: StationApi = {
      ...station,
      'devices.scan': async () => {
        throw new CodedError('EXPORT_FOLDER_MISSING', 'cannot write the export: the folder /mnt/usb does not exist.', { params: { folder: '/mnt/usb' } });
      },
    };
    expect(await dispatch(failing, 'devices.scan', undefined)).toEqual({
      ok: false,
      error: { code: 'failed', failure: 'EXPORT_FOLDER_MISSING', message: 'cannot write the export: the folder /mnt/usb does not exist.', params: { folder: '/mnt/usb' } },
    });
  });

  it("keeps a core failure's own code across the boundary (a bundle that is not there: BUNDLE_NOT_FOUND)", async () => {
    const records = openStationRecords(dataDir);
    records.operators.createFirstAdmin({ id: 'admin', displayName: 'Admin', pin: '4711235' });
    records.close();
    expect(await dispatch(station, 'session.signIn', { id: 'admin', pin: '4711235' })).toMatchObject({ ok: true });
    const result = await dispatch(station, 'batch.start', { bundlePath: join(dataDir, 'missing-bundle'), expectedCount: 4 });
    expect(result).toMatchObject({ ok: false, error: { code: 'failed', failure: 'BUNDLE_NOT_FOUND', params: { path: join(dataDir, 'missing-bundle') } } });
  });

  it('carries which finding of its code a failure states, for a code with several (a bundle file missing, not its manifest)', async () => {
    const failing: StationApi = {
      ...station,
      'devices.scan': async () => {
        throw new CodedError('FILE_MISSING', 'the bundle has no file images/boot.img.', { detail: 'BUNDLE_FILE_MISSING', params: { file: 'images/boot.img' } });
      },
    };
    expect(await dispatch(failing, 'devices.scan', undefined)).toEqual({
      ok: false,
      error: { code: 'failed', failure: 'FILE_MISSING', message: 'the bundle has no file images/boot.img.', params: { file: 'images/boot.img' }, detail: 'BUNDLE_FILE_MISSING' },
    });
  });

  it('escapes control and bidi characters in a failure message', async () => {
    const failing: StationApi = {
      ...station,
      'devices.scan': async () => {
        throw new Error('serial \u001b[2J\u202eevil');
      },
    };
    expect(await dispatch(failing, 'devices.scan', undefined)).toMatchObject({ ok: false, error: { message: 'serial \\x1B[2J\\u202Eevil' } });
  });
});
