// The settings a depot changes from the settings screen, through the station API as the UI calls
// it (every call through `dispatch`): slot names (admin or supervisor), the label printer (admin),
// operators (admin, proven by the admin's own PIN). Roles are refused in main with their codes, a
// malformed request names its field, and the settings file keeps what the screen does not edit.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../../src/main/api/dispatch.ts';
import { openStationRecords } from '../../../src/main/records/station-records.ts';
import { openStation, type OpenedStation } from '../../../src/main/station/open-station.ts';
import { SETTINGS_FILE } from '../../../src/main/station/settings.ts';
import { openDepot } from '../../e2e/depot.ts';
import type { ApiRequest, StationSettingsView } from '../../../src/shared/api.ts';
import type { ApiChannel } from '../../../src/shared/channels.ts';
import { ADMIN, addDepotOperators, SUPERVISOR, TECHNICIAN } from '../../depot-operators.ts';
import { BUNDLE_HASH, recordFor } from '../records/fixture.ts';


let dir: string;
let opened: OpenedStation;
const call = <C extends ApiChannel>(channel: C, request: ApiRequest<C>) => dispatch(opened.station, channel, request);
const signIn = (who: { id: string; pin: string }) => call('session.signIn', who);
const settingsFile = (): Record<string, unknown> => JSON.parse(readFileSync(join(dir, SETTINGS_FILE), 'utf8')) as Record<string, unknown>;

/** What a depot wrote by hand: endpoints, ports and a slot spelled its own way, none of which the screen edits. */
const HAND_WRITTEN = {
  slotNames: { 'usb:1-1.1': 'B1', '1-1.2': 'B2' },
  tcpEndpoints: ['tcp:192.0.2.10:5554'],
  serialPorts: ['/dev/ttyACM7'],
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lockstep-settings-api-'));
  const records = openStationRecords(dir);
  addDepotOperators(records);
  records.close();
  opened = await openStation({ dataDir: dir, fleet: 'simulated', demo: true });
  // Written after opening, so the station does not go looking for the endpoint and port above.
  writeFileSync(join(dir, SETTINGS_FILE), JSON.stringify(HAND_WRITTEN));
}, 60_000);

afterAll(async () => {
  await opened?.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  await call('session.signOut', undefined);
});

describe('slot names through the station API', () => {
  it('refuses a technician and anyone not signed in, with their codes', async () => {
    expect(await call('settings.slotName', { slot: '1-3.2', name: 'A4' })).toMatchObject({ ok: false, error: { failure: 'NOT_SIGNED_IN' } });
    await signIn(TECHNICIAN);
    expect(await call('settings.slotName', { slot: '1-3.2', name: 'A4' })).toMatchObject({ ok: false, error: { code: 'failed', failure: 'ROLE_NOT_ALLOWED' } });
    expect(settingsFile()).toEqual(HAND_WRITTEN);
  });

  it('lets a supervisor name, rename and clear a slot, keeping every other field of the file', async () => {
    await signIn(SUPERVISOR);
    const named = await call('settings.slotName', { slot: '1-3.2', name: 'A4' });
    expect(named).toMatchObject({ ok: true, value: { slotNames: { '1-1.1': 'B1', '1-1.2': 'B2', '1-3.2': 'A4' } } });
    expect(settingsFile()).toEqual({ ...HAND_WRITTEN, slotNames: { ...HAND_WRITTEN.slotNames, '1-3.2': 'A4' } });

    // Renaming a slot the depot spelled usb:1-1.1 leaves one key, in the one spelling of a slot.
    expect(await call('settings.slotName', { slot: '1-1.1', name: ' B1a ' })).toMatchObject({ ok: true, value: { slotNames: { '1-1.1': 'B1a' } } });
    expect(settingsFile()['slotNames']).toEqual({ '1-1.2': 'B2', '1-3.2': 'A4', '1-1.1': 'B1a' });

    expect(await call('settings.slotName', { slot: '1-3.2', name: null })).toMatchObject({ ok: true });
    expect(settingsFile()).toEqual({ ...HAND_WRITTEN, slotNames: { '1-1.2': 'B2', '1-1.1': 'B1a' } });
    expect(await call('settings.read', undefined)).toMatchObject({ ok: true, value: { slotNames: { '1-1.2': 'B2', '1-1.1': 'B1a' } } });
    // Replaced by rename: no temporary file is left beside it.
    expect(readdirSync(dir).filter((name) => name.startsWith(SETTINGS_FILE))).toEqual([SETTINGS_FILE]);
  });

  it('refuses a bad slot, a bad name and a name another slot has, naming what is wrong', async () => {
    await signIn(ADMIN);
    const before = settingsFile();
    expect(await call('settings.slotName', { slot: '1-3.999', name: 'A4' })).toMatchObject({
      ok: false,
      error: { code: 'bad-request', message: expect.stringContaining('at slot') },
    });
    expect(await call('settings.slotName', { slot: 'COM3', name: 'A4' })).toMatchObject({ ok: false, error: { code: 'bad-request', message: expect.stringContaining('at slot') } });
    for (const name of ['', 'A-name-far-too-long', 'A4\u202e', '<b>A4</b>']) {
      expect(await call('settings.slotName', { slot: '1-3.2', name })).toMatchObject({ ok: false, error: { code: 'bad-request', message: expect.stringContaining('at name') } });
    }
    expect(await call('settings.slotName', { slot: '1-3.2', name: 'b2' })).toMatchObject({ ok: false, error: { failure: 'SLOT_NAME_TAKEN', message: expect.stringContaining('1-1.2') } });
    expect(settingsFile()).toEqual(before);
  });
});

describe('slot names in a running batch', () => {
  it('gives a handset plugged in after a rename the new name, and one already in the slot the new name with the next snapshot', async () => {
    const depot = await openDepot({ devices: [{ serial: 'NAME0001', usbPort: '1-1.1' }], timing: { linkBytesPerSecond: 40_000_000, flashBytesPerSecond: 80_000_000, rebootMs: 200 } });
    try {
      const { station } = depot;
      await dispatch(station, 'session.signIn', SUPERVISOR);
      expect(await dispatch(station, 'batch.start', { bundlePath: depot.bundlePath, expectedCount: 1 })).toMatchObject({ ok: true });
      expect(await dispatch(station, 'settings.slotName', { slot: '1-1.1', name: 'A4' })).toMatchObject({ ok: true });
      depot.handset('NAME0001').plugIn();
      const shown = async () => (await station['pipeline.snapshot'](undefined))?.handsets.find((handset) => handset.serial === 'NAME0001')?.slotName;
      await expect.poll(shown, { timeout: 30_000, interval: 100 }).toBe('A4');
      expect(await dispatch(station, 'settings.slotName', { slot: '1-1.1', name: 'A5' })).toMatchObject({ ok: true, value: { slotNames: { '1-1.1': 'A5' } } });
      await expect.poll(shown, { timeout: 5_000, interval: 50 }).toBe('A5');
    } finally {
      await depot.close();
    }
  }, 60_000);
});

describe('the label printer through the station API', () => {
  it('lets only an admin set it, to a valid address and a loaded template, and shows its state now', async () => {
    const printer = { address: `file:${join(dir, 'label.png')}`, format: 'png', template: '2x1-203' } as const;
    await signIn(SUPERVISOR);
    expect(await call('settings.labelPrinter', { printer })).toMatchObject({ ok: false, error: { failure: 'ROLE_NOT_ALLOWED' } });

    await signIn(ADMIN);
    const before = settingsFile();
    expect(await call('settings.labelPrinter', { printer: { ...printer, address: 'lpt1' } })).toMatchObject({
      ok: false,
      error: { code: 'bad-request', message: expect.stringContaining('at printer.address') },
    });
    expect(await call('settings.labelPrinter', { printer: { ...printer, address: 'tcp://printer.local:99999' } })).toMatchObject({
      ok: false,
      error: { code: 'bad-request', message: expect.stringContaining('at printer.address') },
    });
    expect(await call('settings.labelPrinter', { printer: { ...printer, template: 'no-such-template' } })).toMatchObject({ ok: false, error: { failure: 'NO_TEMPLATE' } });
    expect(settingsFile()).toEqual(before);

    expect(await call('labels.status', undefined)).toEqual({ ok: true, value: { printer: null, status: null } });
    const set = await call('settings.labelPrinter', { printer });
    expect(set).toMatchObject({ ok: true, value: { labels: { printer, warning: null } } });
    if (set.ok) expect((set.value as StationSettingsView).labels.templates).toEqual(expect.arrayContaining(['2x1-203', '4x2-203']));
    expect(settingsFile()).toEqual({ ...before, labelPrinter: printer });
    // The labels subsystem reads the new printer at once.
    expect(await call('labels.status', undefined)).toMatchObject({ ok: true, value: { printer, status: { state: 'unknown', address: printer.address } } });

    expect(await call('settings.labelPrinter', { printer: null })).toMatchObject({ ok: true, value: { labels: { printer: null } } });
    expect(await call('labels.status', undefined)).toEqual({ ok: true, value: { printer: null, status: null } });
    expect(settingsFile()).toEqual({ ...before, labelPrinter: null });
  });
});

describe('the idle lock through the station API', () => {
  it('is a station policy: everyone reads it, only an admin sets it, within 0-240 minutes', async () => {
    await signIn(TECHNICIAN);
    expect(await call('settings.read', undefined)).toMatchObject({ ok: true, value: { idleLockMinutes: 5 } });
    expect(await call('settings.idleLock', { minutes: 0 })).toMatchObject({ ok: false, error: { code: 'failed', failure: 'ROLE_NOT_ALLOWED' } });
    await signIn(SUPERVISOR);
    expect(await call('settings.idleLock', { minutes: 0 })).toMatchObject({ ok: false, error: { failure: 'ROLE_NOT_ALLOWED' } });
    await call('session.signOut', undefined);
    expect(await call('settings.idleLock', { minutes: 0 })).toMatchObject({ ok: false, error: { failure: 'NOT_SIGNED_IN' } });

    await signIn(ADMIN);
    const before = settingsFile();
    expect('idleLockMinutes' in before).toBe(false);
    for (const minutes of [-1, 241, 2.5]) {
      expect(await call('settings.idleLock', { minutes }), String(minutes)).toMatchObject({ ok: false, error: { code: 'bad-request', message: expect.stringContaining('at minutes') } });
    }
    expect(await call('settings.idleLock', { minutes: 15 })).toMatchObject({ ok: true, value: { idleLockMinutes: 15 } });
    expect(settingsFile()).toEqual({ ...before, idleLockMinutes: 15 });

    // A technician signed in afterwards sees the admin's policy.
    await signIn(TECHNICIAN);
    expect(await call('settings.read', undefined)).toMatchObject({ ok: true, value: { idleLockMinutes: 15 } });
  });
});

describe('operators through the station API', () => {
  const NEW = { id: 'tech.li', displayName: 'W. Li', role: 'technician', pin: '24680135', pinRepeat: '24680135' } as const;

  it('refuses anyone but an admin, and an admin without the right PIN', async () => {
    await signIn(SUPERVISOR);
    for (const [channel, request] of [
      ['operators.add', { adminPin: SUPERVISOR.pin, operator: NEW }],
      ['operators.disable', { adminPin: SUPERVISOR.pin, id: TECHNICIAN.id }],
      ['operators.unlock', { adminPin: SUPERVISOR.pin, id: TECHNICIAN.id }],
    ] as const) {
      expect(await dispatch(opened.station, channel, request)).toMatchObject({ ok: false, error: { failure: 'ROLE_NOT_ALLOWED' } });
    }
    await signIn(ADMIN);
    expect(await call('operators.add', { adminPin: '0000000', operator: NEW })).toMatchObject({ ok: false, error: { failure: 'SIGN_IN_FAILED' } });
    expect(await call('operators.add', { adminPin: ADMIN.pin, operator: { ...NEW, pinRepeat: '24680136' } })).toMatchObject({
      ok: false,
      error: { code: 'bad-request', message: expect.stringContaining('at operator.pinRepeat') },
    });
    expect(await call('operators.add', { adminPin: ADMIN.pin, operator: { ...NEW, pin: '12', pinRepeat: '12' } })).toMatchObject({
      ok: false,
      error: { failure: 'RECORDS_REFUSED', message: expect.stringContaining('pin') },
    });
    // The wrong admin PIN counts towards the admin's lock-out, as at sign-in; the malformed requests never reached the PIN check.
    const admin = (await call('operators.list', undefined)) as { ok: true; value: { id: string; failedAttempts: number }[] };
    expect(admin.value.find((operator) => operator.id === ADMIN.id)?.failedAttempts).toBe(1);
  });

  it('adds a technician who can then sign in, and disables them', async () => {
    await signIn(ADMIN);
    const added = await call('operators.add', { adminPin: ADMIN.pin, operator: NEW });
    expect(added).toMatchObject({ ok: true, value: { id: NEW.id, displayName: NEW.displayName, role: 'technician', createdBy: ADMIN.id } });
    expect(JSON.stringify(added)).not.toContain(NEW.pin);
    expect(await call('operators.add', { adminPin: ADMIN.pin, operator: NEW })).toMatchObject({ ok: false, error: { message: expect.stringContaining('already exists') } });

    expect(await signIn({ id: NEW.id, pin: NEW.pin })).toMatchObject({ ok: true, value: { operator: { id: NEW.id, role: 'technician' } } });
    expect(await call('operators.disable', { adminPin: NEW.pin, id: TECHNICIAN.id })).toMatchObject({ ok: false, error: { failure: 'ROLE_NOT_ALLOWED' } });

    await signIn(ADMIN);
    expect(await call('operators.disable', { adminPin: ADMIN.pin, id: NEW.id })).toMatchObject({ ok: true, value: { id: NEW.id, disabledAt: expect.any(String) } });
    expect(await signIn({ id: NEW.id, pin: NEW.pin })).toMatchObject({ ok: false, error: { failure: 'OPERATOR_DISABLED' } });
    // Without the PIN a disabled account answers like an unknown one.
    expect(await signIn({ id: NEW.id, pin: '0000000' })).toMatchObject({ ok: false, error: { failure: 'SIGN_IN_FAILED' } });
  });

  it('unlocks an operator locked out by wrong PINs', async () => {
    for (let attempt = 0; attempt < 5; attempt++) await signIn({ id: TECHNICIAN.id, pin: '00000000' });
    expect(await signIn(TECHNICIAN)).toMatchObject({ ok: false, error: { failure: 'OPERATOR_LOCKED' } });
    await signIn(ADMIN);
    expect(await call('operators.unlock', { adminPin: ADMIN.pin, id: TECHNICIAN.id })).toMatchObject({ ok: true, value: { id: TECHNICIAN.id, lockedAt: null, failedAttempts: 0 } });
    expect(await signIn(TECHNICIAN)).toMatchObject({ ok: true, value: { operator: { id: TECHNICIAN.id } } });
  });
});

describe('operator re-enable, PIN reset and the change journal through the station API', () => {
  const LI = { id: 'tech.li', pin: '24680135' } as const;
  const NEW_PIN = '97531864';

  it('refuses them to anyone but a signed-in admin, in main, with the codes the UI translates', async () => {
    expect(await call('operators.resetPin', { adminPin: ADMIN.pin, id: LI.id, pin: NEW_PIN, pinRepeat: NEW_PIN })).toMatchObject({ ok: false, error: { failure: 'NOT_SIGNED_IN' } });
    for (const who of [SUPERVISOR, TECHNICIAN]) {
      await signIn(who);
      for (const [channel, request] of [
        ['operators.enable', { adminPin: who.pin, id: LI.id }],
        ['operators.resetPin', { adminPin: who.pin, id: TECHNICIAN.id, pin: NEW_PIN, pinRepeat: NEW_PIN }],
        ['operators.changes', {}],
      ] as const) {
        expect(await dispatch(opened.station, channel, request), `${who.id} ${channel}`).toMatchObject({ ok: false, error: { code: 'failed', failure: 'ROLE_NOT_ALLOWED' } });
      }
    }
    expect(await signIn(TECHNICIAN)).toMatchObject({ ok: true });
  });

  it('enables the operator disabled above and gives them a new PIN under the PIN policy', async () => {
    await signIn(ADMIN);
    expect(await call('operators.enable', { adminPin: ADMIN.pin, id: LI.id })).toMatchObject({ ok: true, value: { id: LI.id, disabledAt: null } });
    expect(await signIn(LI)).toMatchObject({ ok: true, value: { operator: { id: LI.id } } });

    await signIn(ADMIN);
    expect(await call('operators.resetPin', { adminPin: ADMIN.pin, id: LI.id, pin: NEW_PIN, pinRepeat: '97531865' })).toMatchObject({
      ok: false,
      error: { code: 'bad-request', message: expect.stringContaining('at pinRepeat') },
    });
    expect(await call('operators.resetPin', { adminPin: ADMIN.pin, id: LI.id, pin: '12', pinRepeat: '12' })).toMatchObject({ ok: false, error: { failure: 'PIN_INVALID' } });
    expect(await call('operators.resetPin', { adminPin: ADMIN.pin, id: 'nobody', pin: NEW_PIN, pinRepeat: NEW_PIN })).toMatchObject({ ok: false, error: { failure: 'NO_SUCH_OPERATOR' } });
    expect(await call('operators.resetPin', { adminPin: ADMIN.pin, id: LI.id, pin: NEW_PIN, pinRepeat: NEW_PIN })).toMatchObject({ ok: true, value: { id: LI.id } });
    expect(await signIn(LI)).toMatchObject({ ok: false, error: { failure: 'SIGN_IN_FAILED' } });
    expect(await signIn({ id: LI.id, pin: NEW_PIN })).toMatchObject({ ok: true });

    // The only admin cannot disable itself: the station would have nobody left to manage it.
    await signIn(ADMIN);
    expect(await call('operators.disable', { adminPin: ADMIN.pin, id: ADMIN.id })).toMatchObject({ ok: false, error: { failure: 'LAST_ADMIN' } });
  });

  it('journals who changed whom and when, never a PIN', async () => {
    await signIn(ADMIN);
    const journal = await call('operators.changes', { id: LI.id });
    expect(journal).toMatchObject({ ok: true });
    const changes = (journal as { value: { change: string; byId: string; at: string }[] }).value;
    expect(changes.map((change) => [change.change, change.byId])).toEqual([
      ['pin-reset', ADMIN.id],
      ['enabled', ADMIN.id],
      ['disabled', ADMIN.id],
      ['added', ADMIN.id],
    ]);
    for (const change of changes) expect(Number.isNaN(Date.parse(change.at))).toBe(false);
    const everything = JSON.stringify(await call('operators.changes', {}));
    for (const pin of [NEW_PIN, LI.pin, ADMIN.pin]) expect(everything).not.toContain(pin);
  });
});

describe("History's records.list through the station API", () => {
  const SERIALS = ['HX0001', 'HX0002', 'HX0003', 'HX%_04', "HX'05"] as const;

  beforeAll(() => {
    // A second connection to the station's database, as the CLI would open it beside the app.
    const records = openStationRecords(dir);
    try {
      const batch = records.startBatch({ name: 'history', product: 'lockstep-ref', bundleHash: BUNDLE_HASH, bundleVersion: 'LSR-14.2.0', operatorId: TECHNICIAN.id });
      for (const serial of SERIALS) records.commitProvisioningRecord(recordFor(records.registerDevice({ batchId: batch.id, serial, identity: {} }).id));
    } finally {
      records.close();
    }
  });
  const serials = (value: unknown): string[] => (value as { value: { records: { serial: string }[] } }).value.records.map((record) => record.serial);

  it('pages the search newest first with the cursor it answers', async () => {
    expect(await call('records.list', { search: 'HX' })).toMatchObject({ ok: false, error: { failure: 'NOT_SIGNED_IN' } });
    await signIn(TECHNICIAN);
    const first = await call('records.list', { search: 'hx0', limit: 2 });
    expect(serials(first)).toEqual(['HX0003', 'HX0002']);
    const next = (first as { value: { next: number | null } }).value.next;
    expect(next).toEqual(expect.any(Number));
    const second = await call('records.list', { search: 'hx0', limit: 2, before: next ?? undefined });
    expect(serials(second)).toEqual(['HX0001']);
    expect(second).toMatchObject({ ok: true, value: { next: null } });
  });

  it('takes hostile search text as text, and refuses 10 KB of it at the boundary', async () => {
    await signIn(TECHNICIAN);
    expect(serials(await call('records.list', { search: '%' }))).toEqual(['HX%_04']);
    expect(serials(await call('records.list', { search: '_' }))).toEqual(['HX%_04']);
    expect(serials(await call('records.list', { search: "X'0" }))).toEqual(["HX'05"]);
    expect(serials(await call('records.list', { search: "' OR ''='" }))).toEqual([]);
    expect(serials(await call('records.list', { search: 'HX\u0000\u0007\u001b[2J' }))).toEqual([]);
    expect(await call('records.list', { search: '%'.repeat(10_240) })).toMatchObject({
      ok: false,
      error: { code: 'bad-request', message: expect.stringContaining('at search') },
    });
  });
});
