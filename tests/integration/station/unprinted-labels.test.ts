// The unprinted labels through the station API as the History screen calls it (every call through
// `dispatch`): labels a printer did not take are listed with the printer's last answer, and a reprint
// the printer takes removes the handset from the list.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../../src/main/api/dispatch.ts';
import { openStationLabels } from '../../../src/main/station/label-setup.ts';
import { openStation, type OpenedStation } from '../../../src/main/station/open-station.ts';
import { SETTINGS_FILE } from '../../../src/main/station/settings.ts';
import type { ApiRequest, UnprintedLabels, UnprintedLabelView } from '../../../src/shared/api.ts';
import type { ApiChannel } from '../../../src/shared/channels.ts';
import { ADMIN, TECHNICIAN } from '../../depot-operators.ts';
import { createLabelFixture, type LabelFixture } from '../labels/fixture.ts';

let fixture: LabelFixture;
let opened: OpenedStation;
const call = <C extends ApiChannel>(channel: C, request: ApiRequest<C>) => dispatch(opened.station, channel, request);

const unprinted = async (): Promise<UnprintedLabelView[]> => {
  const answer = await call('labels.unprinted', undefined);
  if (!answer.ok) throw new Error(`labels.unprinted failed: ${JSON.stringify(answer.error)}`);
  return (answer.value as UnprintedLabels).labels;
};

beforeAll(async () => {
  fixture = createLabelFixture();
  // The records database is a file, so no folder can be made under it: every label to this path fails.
  const unwritable = `file:${join(fixture.records.databasePath, 'labels', 'label.zpl')}`;
  writeFileSync(join(fixture.dir, SETTINGS_FILE), JSON.stringify({ labelPrinter: { address: unwritable, format: 'zpl', template: '2x1-203' } }));
  const labels = await openStationLabels({ databasePath: fixture.records.databasePath });
  for (const serial of ['UNP00001', 'UNP00002']) {
    expect(await labels.labelStep().label(fixture.tagged(serial), new AbortController().signal)).toMatchObject({ status: 'skipped' });
  }
  await labels.service.idle();
  opened = await openStation({ dataDir: fixture.dir, fleet: 'simulated', demo: true });
}, 60_000);

afterAll(async () => {
  await opened?.close();
  fixture?.cleanup();
});

describe('labels.unprinted through the station API', () => {
  it('refuses anyone not signed in, and a request with a body', async () => {
    expect(await call('labels.unprinted', undefined)).toMatchObject({ ok: false, error: { failure: 'NOT_SIGNED_IN' } });
    await call('session.signIn', TECHNICIAN);
    expect(await dispatch(opened.station, 'labels.unprinted', { limit: 5 })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
  });

  it('lists each label the printer did not take, with its tag, record and the printer\'s last answer', async () => {
    await call('session.signIn', TECHNICIAN);
    expect(await call('labels.unprinted', undefined)).toMatchObject({ ok: true, value: { printer: expect.stringMatching(/^file:.*label\.zpl$/) } });
    const list = await unprinted();
    expect(list.map((entry) => entry.serial)).toEqual(['UNP00001', 'UNP00002']);
    for (const entry of list) {
      expect(entry.assetTag).toMatch(/^LS-2026-\d{6}$/);
      expect(entry.recordSeq).toBeGreaterThan(0);
      expect(entry.lastJob).toMatchObject({ kind: 'first', recordSeq: entry.recordSeq, outcome: { status: 'failed', detail: expect.any(String) } });
    }
  });

  it('drops a handset from the list once a reprint reaches a working printer', async () => {
    await call('session.signIn', ADMIN);
    const out = join(fixture.dir, 'label-{tag}.zpl');
    expect(await call('settings.labelPrinter', { printer: { address: `file:${out}`, format: 'zpl', template: '2x1-203' } })).toMatchObject({ ok: true });
    const [first] = await unprinted();
    const reprint = await call('labels.reprint', { serial: 'UNP00001', reason: 'printer was misconfigured' });
    expect(reprint).toMatchObject({ ok: true, value: { kind: 'reprint', operatorId: ADMIN.id, reason: 'printer was misconfigured' } });
    await expect.poll(async () => (await unprinted()).map((entry) => entry.serial), { timeout: 10_000 }).toEqual(['UNP00002']);
    expect(readFileSync(out.replace('{tag}', first?.assetTag ?? ''), 'latin1')).toContain('^FDS/N UNP00001^FS');
  });
});
