// AT port matching through the whole pipeline in process: a handset whose AT port answers ERROR for
// its first commands after boot is bound once it answers and provisioned; one whose port goes silent
// in the middle of the checks fails them as AT_TIMEOUT, the handset's fault, not the station's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PipelineSnapshot } from '../../../src/shared/pipeline.ts';
import { handsetDirectoryName } from '../../../src/sim/handset-state.ts';
import { parseScenario } from '../../../src/sim/index.ts';
import { bySerial, openTestStation, type TestStation } from '../pipeline/fixture.ts';

const SCENARIO = parseScenario({
  devices: [
    { serial: 'ATBOOTERR01', faults: [{ kind: 'fail', on: 'at', command: 'AT', message: 'ERROR', times: 6 }] },
    { serial: 'ATSILENT02', faults: [{ kind: 'stall', on: 'at', command: 'AT+CGMR' }] },
  ],
});

let station: TestStation;
let settled: PipelineSnapshot;

beforeAll(async () => {
  station = await openTestStation({
    scenario: SCENARIO,
    timeouts: { commandMs: 10_000, hashMs: 6_000, rebootMs: 8_000, atCommandMs: 1_500 },
    prefix: 'lockstep-at-ports-',
  });
  settled = await station.settled(undefined, 60_000);
}, 90_000);

afterAll(async () => {
  await station?.close();
});

describe('AT ports in the pipeline', () => {
  it('provisions a handset whose AT port answered ERROR for its first commands, asking it again until it answered', async () => {
    expect(bySerial(settled, 'ATBOOTERR01')).toMatchObject({ phase: 'provisioned', reason: null });
    const at = await station.at('ATBOOTERR01');
    // Six ERRORs (two syncs of three), then the sync that answered OK, the serial query, and the checks' own sync.
    expect(at.slice(0, 9)).toEqual(['AT', 'AT', 'AT', 'AT', 'AT', 'AT', 'AT', 'AT+XSERIAL?', 'AT']);
    expect(at).toContain('AT+CGSN');
    const device = station.records.journal.findDevice(station.started.info.id, 'ATBOOTERR01');
    const reboot = station.records.journal.stepEvents(device?.id as number).findLast((event) => event.step === 'reboot');
    expect(reboot).toMatchObject({ status: 'passed', detail: `AT port sim:${handsetDirectoryName('ATBOOTERR01')}` });
  });

  it('fails the checks of a handset whose AT port went silent mid-check as AT_TIMEOUT', async () => {
    const handset = bySerial(settled, 'ATSILENT02');
    expect(handset).toMatchObject({ phase: 'failed', step: 'checks', reason: { code: 'AT_TIMEOUT' } });
    expect(handset?.reason?.message).toMatch(/'AT\+CGMR': no final result code within 1\.5 s/);
    const at = await station.at('ATSILENT02');
    expect(at.slice(-2)).toEqual(['AT+CGSN', 'AT+CGMR']);
  });
});
