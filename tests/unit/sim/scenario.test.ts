import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { problems } from './scenario-problems.ts';
import { accelerate, defaultImei, defaultScenario, DEFAULT_TIMING, loadScenario, parseScenario, ScenarioError } from '../../../src/sim/index.ts';
import { MAX_SCENARIO_FILE_BYTES } from '../../../src/sim/scenario.ts';

const work = mkdtempSync(join(tmpdir(), 'lockstep-scenario-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));


describe('scenario schema', () => {
  it('fills in the reference handset for everything a device leaves out', () => {
    const [device] = parseScenario({ devices: [{ serial: 'S1' }] }).devices;
    expect(device).toEqual({
      serial: 'S1',
      model: 'lockstep-ref',
      imei: defaultImei('S1'),
      usbPort: '1-1.1',
      product: 'lockstep-ref',
      hwRevision: 'B2',
      bootloaderVersion: 'LSBL-1.4.2',
      batteryVoltage: '4100',
      unlocked: true,
      maxDownloadSize: 256 * 1024 * 1024,
      fuses: [{ bank: 3, word: 0, value: 1 }],
      usb: { vendorId: 0x18d1, productId: 0x4ee0 },
      getvarOverrides: {},
      faults: [],
    });
  });

  it('builds default fleets with serials LSIM0001… and refuses impossible sizes', () => {
    expect(defaultScenario(3).devices.map((device) => device.serial)).toEqual(['LSIM0001', 'LSIM0002', 'LSIM0003']);
    expect(() => defaultScenario(0)).toThrow(ScenarioError);
    expect(() => defaultScenario(65)).toThrow(ScenarioError);
  });

  it('numbers a default fleet from a first handset, serials and USB ports alike, within port 255', () => {
    const devices = defaultScenario(3, 9).devices;
    expect(devices.map((device) => [device.serial, device.usbPort])).toEqual([['LSIM0009', '1-1.9'], ['LSIM0010', '1-1.10'], ['LSIM0011', '1-1.11']]);
    expect(defaultScenario(2).devices.map((device) => device.usbPort)).toEqual(['1-1.1', '1-1.2']);
    expect(defaultScenario(64, 192).devices.at(-1)).toMatchObject({ serial: 'LSIM0255', usbPort: '1-1.255' });
    expect(() => defaultScenario(64, 193)).toThrow('handsets are numbered 1 to 255 (USB port 1-1.<number>): 64 from 193 would end at 256');
    expect(() => defaultScenario(1, 0)).toThrow(ScenarioError);
    expect(() => defaultScenario(1, 1.5)).toThrow(ScenarioError);
  });

  it('names the field at fault in every error', () => {
    expect(problems({ devices: [{ serial: 'A', maxDownloadSize: 0x1_0000_0000 }] })).toMatch(/^fleet\.json is not a valid scenario:\n {2}devices\[0\]\.maxDownloadSize: /);
    expect(problems({ devices: [{ serial: 'A' }, { serial: 'A' }] })).toContain('devices[1].serial: serial number is used by an earlier device');
    expect(problems({ devices: [{ serial: 'A', colour: 'red' }] })).toMatch(/devices\[0\]: .*colour/);
    expect(problems({ devices: [{ serial: 'A', faults: [{ kind: 'explode' }] }] })).toContain('devices[0].faults[0].kind');
    expect(problems({ devices: [{ serial: 'A', faults: [{ kind: 'fail', command: 'flash:' }] }] })).toContain('devices[0].faults[0].message');
    expect(problems({ devices: [{ serial: 'A', fuses: [{ bank: 8, word: 0, value: 1 }] }] })).toContain('devices[0].fuses[0].bank');
    expect(problems({ devices: [{ serial: 'A', faults: [{ kind: 'fuse-readback', bank: 3, word: 0, clearBits: 0 }] }] })).toContain('devices[0].faults[0].clearBits: must name at least one bit');
    expect(problems({ timing: { rebootMs: -1 }, devices: [{ serial: 'A' }] })).toContain('timing.rebootMs');
    expect(problems({ devices: [] })).toContain('devices: ');
    expect(problems([])).toContain('(top level)');
  });

  it('accepts hostile identity strings, which are the point of a scenario, up to a bound', () => {
    const serial = `=cmd|'/C calc'!A0^XA\x00\x1b[2J${'é'.repeat(100_000)}`;
    expect(parseScenario({ devices: [{ serial, product: '^FS^XZ' }] }).devices[0]?.serial).toBe(serial);
    expect(problems({ devices: [{ serial: 'x'.repeat(4 * 1024 * 1024 + 1) }] })).toContain('devices[0].serial');
  });

  it('accelerates timing for demos', () => {
    expect(accelerate(DEFAULT_TIMING, 5)).toEqual({ linkBytesPerSecond: 200_000_000, flashBytesPerSecond: 400_000_000, rebootMs: 1600 });
  });
});

describe('loadScenario', () => {
  it('loads the example demo fleet shipped in resources/scenarios', async () => {
    const scenario = await loadScenario(resolve(import.meta.dirname, '../../../resources/scenarios/demo-fleet.json'));
    expect(scenario.devices).toHaveLength(4);
    expect(scenario.devices.some((device) => [...device.serial].some((character) => character.charCodeAt(0) < 0x20))).toBe(true);
    expect(scenario.devices.flatMap((device) => device.faults)).toHaveLength(1);
  });

  it('says what is wrong with a missing, malformed or oversized file', async () => {
    await expect(loadScenario(join(work, 'missing.json'))).rejects.toThrow(/cannot read scenario file .*missing\.json/);
    writeFileSync(join(work, 'broken.json'), '{"devices": [');
    await expect(loadScenario(join(work, 'broken.json'))).rejects.toThrow(/broken\.json is not valid JSON/);
    writeFileSync(join(work, 'bom.json'), `\uFEFF${JSON.stringify({ devices: [{ serial: 'S1' }] })}`);
    await expect(loadScenario(join(work, 'bom.json'))).rejects.toThrow(
      /bom\.json starts with a UTF-8 byte-order mark \(EF BB BF\): save it as UTF-8 without a BOM/,
    );
    writeFileSync(join(work, 'huge.json'), '');
    truncateSync(join(work, 'huge.json'), MAX_SCENARIO_FILE_BYTES + 1);
    await expect(loadScenario(join(work, 'huge.json'))).rejects.toThrow(/the limit is/);
  });
});
