import { describe, expect, it } from 'vitest';
import { dispatch } from '../../src/main/api/dispatch.ts';
import type { StationApi } from '../../src/shared/api.ts';
import { createStation } from '../../src/main/station/station.ts';
import { openSystemUsbBus } from '../../src/main/usb/system-bus.ts';

const station = createStation({ mode: 'hardware', usb: openSystemUsbBus() });

describe('dispatch: the trust boundary in front of the core', () => {
  it('answers a declared call with the core value', async () => {
    const result = await dispatch(station, 'station.info', undefined);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.value).toMatchObject({ name: 'lockstep', mode: 'hardware' });
  });

  it('refuses a channel the API does not declare, quoting at most 80 characters of it', async () => {
    const result = await dispatch(station, `evil${'x'.repeat(500)}`, undefined);
    expect(result).toEqual({ ok: false, error: { code: 'unknown-channel', message: `Unknown station API call: evil${'x'.repeat(76)}` } });
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
    expect(await dispatch(failing, 'devices.scan', undefined)).toEqual({ ok: false, error: { code: 'failed', message: 'hub 2 lost power' } });
  });
});
