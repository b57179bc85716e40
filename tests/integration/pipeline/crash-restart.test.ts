// Crash safety: the station is SIGKILLed in the middle of a batch, several times at different
// steps, and started again with the same database and the same handsets, which live on in their own
// `lockstep sim` process as real handsets would. Each restart rebuilds every handset's state from the
// journal plus the handset's own readback (a handset that booted meanwhile is picked up on its AT
// port): the batch continues, nothing proven done is repeated irreversibly, and no record is lost.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStationRecords } from '../../../src/main/records/station-records.ts';
import { readCommandLog } from '../../../src/sim/index.ts';
import { spawnCli } from '../../lockstep-cli.ts';
import { depotSignedBundle, SUPERVISOR, TECHNICIAN } from './fixture.ts';
import { addDepotOperators } from '../../depot-operators.ts';

const SERIALS = ['CRASH001', 'CRASH002', 'CRASH003'];
const dir = mkdtempSync(join(tmpdir(), 'lockstep-crash-'));
const db = join(dir, 'records.sqlite');
const state = join(dir, 'sim');
const ptys = join(dir, 'pty');
let bundle: string;
let trust: string;
let simulator: ChildProcess;
const endpoints: string[] = [];

beforeAll(async () => {
  // A 4 MB/s link takes a few seconds for the bundle and a reboot 3 s: long enough to be killed in.
  const scenario = join(dir, 'fleet.json');
  writeFileSync(scenario, JSON.stringify({ timing: { linkBytesPerSecond: 4_000_000, flashBytesPerSecond: 0, rebootMs: 3000 }, devices: SERIALS.map((serial) => ({ serial })) }));
  ({ bundle, trustDir: trust } = await depotSignedBundle(dir));
  const records = openStationRecords({ database: db });
  addDepotOperators(records);
  records.close();
  simulator = spawnCli(['sim', '--scenario', scenario, '--tcp', '0', '--pty', ptys, '--state', state], ['ignore', 'pipe', 'pipe']);
  await new Promise<void>((resolve, reject) => {
    simulator.once('error', reject);
    simulator.once('exit', (code) => reject(new Error(`lockstep sim exited with ${code}`)));
    createInterface({ input: simulator.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const endpoint = /\ttcp:(127\.0\.0\.1:\d+)$/.exec(line)?.[1];
      if (endpoint) endpoints.push(endpoint);
      if (line.startsWith('Serving ')) resolve();
    });
  });
}, 60_000);

afterAll(async () => {
  if (simulator && simulator.exitCode === null) {
    const exited = new Promise((resolve) => simulator.once('exit', resolve));
    simulator.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

interface Event {
  readonly serial: string | null;
  readonly phase: string;
  readonly step: string | null;
  readonly progress: unknown;
}

/** Runs `provision` on the same database and handsets; kills it with SIGKILL once `killWhen` sees an event it likes. */
function provision(killWhen: ((event: Event) => boolean) | null): Promise<{ status: number | null; signal: NodeJS.Signals | null; events: Event[]; stderr: string }> {
  const args = ['provision', '--bundle', bundle, '--trust', trust, '--db', db, '--operator', TECHNICIAN.id, '--supervisor', SUPERVISOR.id, '--serial', ptys];
  const child = spawnCli([...args, ...endpoints.flatMap((endpoint) => ['--tcp', endpoint]), '--expect', String(SERIALS.length), '--json'], ['ignore', 'pipe', 'pipe'], {
    LOCKSTEP_DATA_DIR: dir,
    LOCKSTEP_OPERATOR_PIN: TECHNICIAN.pin,
    LOCKSTEP_SUPERVISOR_PIN: SUPERVISOR.pin,
  });
  const events: Event[] = [];
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    const event = JSON.parse(line) as Event;
    events.push(event);
    if (killWhen?.(event)) child.kill('SIGKILL');
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status, signal) => resolve({ status, signal, events, stderr }));
  });
}

describe('a station killed in the middle of a batch', () => {
  it('continues the batch after each SIGKILL and provisions every handset once', async () => {
    const kills: [string, (event: Event) => boolean][] = [
      ['mid-flash', (event) => event.step === 'flash' && event.progress !== null],
      ['waiting for the reboot', (event) => event.step === 'reboot' && event.phase === 'waiting-for-handset'],
      ['during the AT checks', (event) => event.step === 'checks'],
    ];
    for (const [when, killWhen] of kills) {
      const run = await provision(killWhen);
      expect(run.signal, `killed ${when}: ${run.stderr}`).toBe('SIGKILL');
    }
    const final = await provision(null);
    expect(final.status, `${final.stderr}\n${JSON.stringify(final.events.slice(-6))}`).toBe(0);

    const records = openStationRecords({ database: db });
    try {
      expect(records.journal.listBatches()).toHaveLength(1);
      const provisioned = records.log.latest({ status: 'provisioned' }, 100);
      expect(provisioned.map((record) => record.serial).sort()).toEqual(SERIALS);
      for (const record of provisioned) expect(record).toMatchObject({ locked: true, fuseReadback: [{ bank: 3, word: 0, value: 0x31 }], assetTag: expect.stringMatching(/^LS-\d{4}-\d{6}$/) });
      expect(new Set(provisioned.map((record) => ('assetTag' in record ? record.assetTag : null))).size).toBe(SERIALS.length);
      expect(records.checkIntegrity()).toMatchObject({ database: [], chain: { intact: true } });
    } finally {
      records.close();
    }

    for (const serial of SERIALS) {
      const commands = (await readCommandLog(state, serial)).map((entry) => entry.command);
      // The handsets outlived every station: each fuse bit was programmed once and the lock sent once.
      let burned = 0;
      for (const command of commands.filter((candidate) => candidate.startsWith('oem fuse prog'))) {
        const mask = Number(command.split(' ').at(-1));
        expect(burned & mask, `${serial}: ${command} repeats a bit`).toBe(0);
        burned |= mask;
      }
      expect(burned, serial).toBe(0x30);
      expect(commands.filter((command) => command === 'flashing lock'), serial).toHaveLength(1);
    }
  }, 240_000);
});
