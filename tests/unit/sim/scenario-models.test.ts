import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { problems } from './scenario-problems.ts';
import { isValidImei } from '../../../src/shared/imei.ts';
import { defaultImei, loadScenario, parseScenario } from '../../../src/sim/index.ts';


describe('scenario models', () => {
  it('fills in the Kestrel K2’s own factory identity, USB ids and SECURE_BOOT fuse', () => {
    const [device] = parseScenario({ devices: [{ serial: 'K1', model: 'kestrel-k2' }] }).devices;
    expect(device).toMatchObject({
      model: 'kestrel-k2',
      product: 'kestrel-k2',
      hwRevision: 'R3',
      bootloaderVersion: 'KBL-2.0.1',
      batteryVoltage: '4000',
      usb: { vendorId: 0x3e2a, productId: 0x0b02 },
      fuses: [{ bank: 0, word: 0, value: 1 }],
    });
  });

  it('keeps what the scenario says over the model’s defaults', () => {
    const [device] = parseScenario({ devices: [{ serial: 'K1', model: 'kestrel-k2', product: 'other-phone', batteryVoltage: '3300', fuses: [] }] }).devices;
    expect(device).toMatchObject({ product: 'other-phone', batteryVoltage: '3300', hwRevision: 'R3', fuses: [] });
    expect(problems({ devices: [{ serial: 'A', model: 'nokia-3310' }] })).toContain('devices[0].model');
  });

  it('derives a valid, stable IMEI from the serial unless one is given, and takes a given one as it is', () => {
    const imeis = ['LSIM0001', 'LSIM0002', '', '\x00é'.repeat(1000)].map(defaultImei);
    for (const imei of imeis) expect(imei).toMatch(/^35\d{13}$/);
    expect(imeis.every(isValidImei)).toBe(true);
    expect(new Set(imeis).size).toBe(imeis.length);
    expect(defaultImei('LSIM0001')).toBe(imeis[0]);
    expect(parseScenario({ devices: [{ serial: 'A', imei: '490154203237519' }] }).devices[0]?.imei).toBe('490154203237519');
    expect(parseScenario({ devices: [{ serial: 'A', imei: '=1+2\r\n' }] }).devices[0]?.imei).toBe('=1+2\r\n');
    expect(problems({ devices: [{ serial: 'A', imei: 3 }] })).toContain('devices[0].imei');
  });
});

describe('scenario USB ports', () => {
  it('gives device i the port 1-1.<i+1>, keeps a named one in the one spelling, and refuses paths that do not exist', () => {
    const scenario = parseScenario({ devices: [{ serial: 'A' }, { serial: 'B', usbPort: 'usb:2-03.4' }, { serial: 'C' }] });
    expect(scenario.devices.map((device) => device.usbPort)).toEqual(['1-1.1', '2-3.4', '1-1.3']);
    for (const bad of ['1', '1-', '1-256', '256-1', '1-1.2.3.4.5.6.7.8', 'tcp:localhost:5554', '1-1.x', ' 1-1', '1'.repeat(100)]) {
      expect(problems({ devices: [{ serial: 'A', usbPort: bad }] }), bad).toContain('devices[0].usbPort: a USB port path');
    }
  });

  it('refuses two handsets in one port, naming the later one, defaults included', () => {
    expect(problems({ devices: [{ serial: 'A', usbPort: '1-1.2' }, { serial: 'B' }] })).toContain('devices[1].usbPort: port 1-1.2 is taken by an earlier device');
    expect(problems({ devices: [{ serial: 'A', usbPort: '1-4' }, { serial: 'B', usbPort: '1-4' }] })).toContain('devices[1].usbPort');
  });
});

describe('scenario faults', () => {
  it('accepts the new kinds and fail/stall on AT commands, with defaults', () => {
    const { faults } = parseScenario({
      devices: [
        {
          serial: 'A',
          faults: [
            { kind: 'reboot-hang' },
            { kind: 'at-noise' },
            { kind: 'capability-lie', capability: 'gps' },
            { kind: 'stall', on: 'at', command: 'AT+CGSN' },
            { kind: 'fail', command: 'flash:', message: 'no' },
          ],
        },
      ],
    }).devices[0] ?? { faults: [] };
    expect(faults).toEqual([
      { kind: 'reboot-hang', times: 1 },
      { kind: 'at-noise' },
      { kind: 'capability-lie', capability: 'gps' },
      { kind: 'stall', on: 'at', command: 'AT+CGSN', times: 1 },
      { kind: 'fail', on: 'fastboot', command: 'flash:', message: 'no', times: 1 },
    ]);
  });

  it('names the field at fault', () => {
    const fault = (value: Record<string, unknown>): string => problems({ devices: [{ serial: 'A', faults: [value] }] });
    expect(fault({ kind: 'reboot-hang', times: 0 })).toContain('devices[0].faults[0].times');
    expect(fault({ kind: 'at-noise', rate: 3 })).toMatch(/devices\[0\]\.faults\[0\]: .*rate/);
    expect(fault({ kind: 'capability-lie', capability: 'radio' })).toContain('devices[0].faults[0].capability');
    expect(fault({ kind: 'capability-lie' })).toContain('devices[0].faults[0].capability');
    expect(fault({ kind: 'stall', on: 'serial', command: 'AT' })).toContain('devices[0].faults[0].on');
  });
});

describe('shipped scenarios', () => {
  const scenarios = resolve(import.meta.dirname, '../../../resources/scenarios');

  it('fault-fleet.json has one handset per fault, healthy ones, and a Kestrel K2', async () => {
    const { devices } = await loadScenario(resolve(scenarios, 'fault-fleet.json'));
    const kinds = devices.flatMap((device) => device.faults.map((fault) => fault.kind));
    for (const kind of ['detach', 'fail', 'stall', 'fuse-readback', 'reboot-hang', 'at-noise', 'capability-lie']) expect(kinds, kind).toContain(kind);
    expect(devices.some((device) => device.product === 'other-phone')).toBe(true);
    expect(devices.some((device) => device.batteryVoltage === '3300')).toBe(true);
    expect(devices.some((device) => device.bootloaderVersion === 'LSBL-0.9.0')).toBe(true);
    expect(devices.some((device) => !device.unlocked)).toBe(true);
    expect(devices.some((device) => device.getvarOverrides.serialno !== undefined && device.getvarOverrides.serialno !== device.serial)).toBe(true);
    expect(devices.some((device) => !isValidImei(device.imei))).toBe(true);
    expect(devices.some((device) => device.model === 'kestrel-k2' && device.faults.length === 0)).toBe(true);
    const healthy = devices.filter((device) => device.faults.length === 0 && Object.keys(device.getvarOverrides).length === 0 && device.unlocked && isValidImei(device.imei));
    expect(healthy.length).toBeGreaterThanOrEqual(3);
  });
});
