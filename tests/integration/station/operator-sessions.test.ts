// One station core, several operator sessions (a browser each under `lockstep serve`): signing in
// or out in one leaves the others as they are, while records and the batch stay the station's own.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dispatch } from '../../../src/main/api/dispatch.ts';
import { openStationRecords } from '../../../src/main/records/station-records.ts';
import { OperatorSession } from '../../../src/main/station/session.ts';
import { openStation, type OpenedStation } from '../../../src/main/station/open-station.ts';
import { ADMIN, addDepotOperators, TECHNICIAN } from '../../depot-operators.ts';

let dir: string;
let opened: OpenedStation;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lockstep-sessions-'));
  const records = openStationRecords(dir);
  addDepotOperators(records);
  records.close();
  opened = await openStation({ dataDir: dir, fleet: 'simulated', demo: true });
}, 60_000);

afterAll(async () => {
  await opened?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('keeps each session its own while the default session and the records are shared', async () => {
  const first = opened.station.forSession(new OperatorSession());
  const second = opened.station.forSession(new OperatorSession());
  expect(await dispatch(first, 'session.signIn', TECHNICIAN)).toMatchObject({ ok: true, value: { operator: { id: TECHNICIAN.id } } });
  expect(await dispatch(second, 'session.current', undefined)).toEqual({ ok: true, value: null });
  expect(await dispatch(opened.station, 'session.current', undefined)).toEqual({ ok: true, value: null });
  expect(await dispatch(second, 'operators.list', undefined)).toMatchObject({ ok: false, error: { failure: 'NOT_SIGNED_IN' } });

  await dispatch(second, 'session.signIn', ADMIN);
  expect(await dispatch(second, 'operators.list', undefined)).toMatchObject({ ok: true });
  expect(await dispatch(first, 'operators.list', undefined)).toMatchObject({ ok: false, error: { failure: 'ROLE_NOT_ALLOWED' } });

  await dispatch(second, 'session.signOut', undefined);
  expect(await dispatch(first, 'session.current', undefined)).toMatchObject({ ok: true, value: { operator: { id: TECHNICIAN.id } } });
  expect(await dispatch(second, 'session.current', undefined)).toEqual({ ok: true, value: null });
});
