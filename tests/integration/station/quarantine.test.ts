// A quarantined handset through the station API as the operator UI drives it (every call through
// `dispatch`): a fuse read-back alarm puts the handset in quarantine, its snapshot keeps the alarm, and
// main refuses the operator's retry before anything runs or is recorded — no journal event, no record,
// no command to the handset — whatever the window offers. Plugging the same handset in again starts no
// attempt either, so its card keeps the alarm instead of a refusal at identify.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../../src/main/api/dispatch.ts';
import type { ApiRequest, HandsetDetail, RecordList } from '../../../src/shared/api.ts';
import type { ApiChannel } from '../../../src/shared/channels.ts';
import type { HandsetSnapshot, PipelineSnapshot } from '../../../src/shared/pipeline.ts';
import { readCommandLog } from '../../../src/sim/index.ts';
import { SUPERVISOR, TECHNICIAN } from '../../depot-operators.ts';
import { openDepot, type Depot } from '../../e2e/depot.ts';

const ALARM = 'FUSEALARM';
const HEALTHY = 'QHEALTHY1';

let depot: Depot;
const call = async <C extends ApiChannel>(channel: C, request: ApiRequest<C>): Promise<unknown> => {
  const answer = await dispatch(depot.station, channel, request);
  if (!answer.ok) throw new Error(`${channel} refused: ${JSON.stringify(answer.error)}`);
  return answer.value;
};

/** The first snapshot for which `done` holds. */
function until(done: (snapshot: PipelineSnapshot) => boolean): Promise<PipelineSnapshot> {
  return new Promise((resolve) => {
    const stop = depot.station.subscribe('pipeline.snapshot', (snapshot) => {
      if (!snapshot || !done(snapshot)) return;
      queueMicrotask(() => stop());
      resolve(snapshot);
    });
  });
}

const handsetIn = (snapshot: PipelineSnapshot, serial: string): HandsetSnapshot | undefined => snapshot.handsets.find((handset) => handset.serial === serial);
const settled = (snapshot: PipelineSnapshot): boolean =>
  [ALARM, HEALTHY].every((serial) => ['provisioned', 'failed'].includes(handsetIn(snapshot, serial)?.phase ?? '')) && handsetIn(snapshot, ALARM)?.quarantine !== null;

/** What the station holds about the alarm handset: its journal, the batch's records, and the commands the handset received. */
async function traces(): Promise<{ events: number; records: number; commands: number }> {
  const detail = (await call('handset.detail', { serial: ALARM })) as HandsetDetail;
  const list = (await call('records.list', { limit: 50 })) as RecordList;
  return { events: detail.events.length, records: list.total, commands: (await readCommandLog(join(depot.dir, 'sim'), ALARM)).length };
}

beforeAll(async () => {
  depot = await openDepot({
    devices: [{ serial: ALARM, faults: [{ kind: 'fuse-readback', bank: 3, word: 0, clearBits: 32 }] }, { serial: HEALTHY }],
    timing: { linkBytesPerSecond: 0, flashBytesPerSecond: 0, rebootMs: 200 },
  });
  await call('session.signIn', TECHNICIAN);
  await call('batch.start', { bundlePath: depot.bundlePath, expectedCount: 2 });
  await call('batch.authorise', { supervisor: SUPERVISOR, deviceCap: 2 });
  const done = until(settled);
  for (const handset of depot.fleet.handsets) handset.plugIn();
  await done;
}, 120_000);

afterAll(async () => {
  await depot?.close();
});

describe('a quarantined handset through the station API', () => {
  it('is quarantined in its snapshot, by the alarm its fuse read-back raised', async () => {
    const snapshot = (await call('pipeline.snapshot', undefined)) as PipelineSnapshot;
    expect(handsetIn(snapshot, ALARM)).toMatchObject({
      phase: 'failed',
      step: 'fuse',
      reason: { code: 'FUSE_READBACK_MISMATCH' },
      quarantine: { code: 'FUSE_READBACK_MISMATCH', step: 'fuse', message: expect.stringContaining('ALARM') },
    });
    expect(handsetIn(snapshot, HEALTHY)).toMatchObject({ phase: 'provisioned', quarantine: null });
  });

  it('refuses the retry in main before anything runs or is recorded, and the card keeps the alarm', async () => {
    const before = await traces();
    expect(before.records).toBe(2);
    const answer = await dispatch(depot.station, 'handset.retry', { serial: ALARM });
    expect(answer).toMatchObject({ ok: false, error: { failure: 'QUARANTINED', message: expect.stringContaining('quarantined (FUSE_READBACK_MISMATCH)') } });
    expect(await traces()).toEqual(before);
    const snapshot = (await call('pipeline.snapshot', undefined)) as PipelineSnapshot;
    expect(handsetIn(snapshot, ALARM)).toMatchObject({ phase: 'failed', step: 'fuse', reason: { code: 'FUSE_READBACK_MISMATCH' }, quarantine: { code: 'FUSE_READBACK_MISMATCH' } });
  });

  it('starts no attempt when the same handset is plugged in again', async () => {
    const before = await traces();
    const shown = ((await call('pipeline.snapshot', undefined)) as PipelineSnapshot).version;
    const handset = depot.handset(ALARM);
    handset.unplug();
    handset.plugIn();
    // The batch publishes the handset's coming back (an attempt would publish its first step instead).
    const after = await until((snapshot) => snapshot.version > shown);
    expect(handsetIn(after, ALARM)).toMatchObject({ phase: 'failed', step: 'fuse', quarantine: { code: 'FUSE_READBACK_MISMATCH' } });
    expect(await dispatch(depot.station, 'handset.retry', { serial: ALARM })).toMatchObject({ ok: false, error: { failure: 'QUARANTINED' } });
    expect(await traces()).toEqual(before);
  });
});
