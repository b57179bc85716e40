// Crash safety: the station is SIGKILLed in the middle of a batch, several times at different
// steps, and started again with the same database and the same (simulated) handsets. Each run
// rebuilds every handset's state from the journal plus the handset's own readback: the batch
// continues, nothing proven done is repeated irreversibly, and no record is lost.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { openStationRecords } from '../../../src/main/records/station-records.ts';
import { readCommandLog } from '../../../src/sim/index.ts';
import { spawnCli } from '../../lockstep-cli.ts';

const SERIALS = ['CRASH001', 'CRASH002', 'CRASH003'];
const dir = mkdtempSync(join(tmpdir(), 'lockstep-crash-'));
const db = join(dir, 'records.sqlite');
const state = join(dir, 'sim');
const scenario = join(dir, 'fleet.json');
// Demo speed is 5x: this link takes about 2 s for the demo bundle and a reboot 1 s, long enough to be killed in.
writeFileSync(scenario, JSON.stringify({ timing: { linkBytesPerSecond: 1_000_000, flashBytesPerSecond: 0, rebootMs: 5000 }, devices: SERIALS.map((serial) => ({ serial })) }));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Event {
  readonly serial: string | null;
  readonly phase: string;
  readonly step: string | null;
  readonly progress: unknown;
}

/** Runs `provision` on the same database and handsets; kills it with SIGKILL once `killWhen` sees an event it likes. */
function provision(killWhen: ((event: Event) => boolean) | null): Promise<{ status: number | null; signal: NodeJS.Signals | null; events: Event[] }> {
  const child = spawnCli(['provision', '--scenario', scenario, '--sim-state', state, '--db', db, '--data', dir, '--json'], ['ignore', 'pipe', 'pipe']);
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
    child.once('close', (status, signal) => (status === null && signal === null ? reject(new Error(stderr)) : resolve({ status, signal, events })));
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
      expect(run.signal, `killed ${when}`).toBe('SIGKILL');
    }
    const final = await provision(null);
    expect(final.status, JSON.stringify(final.events.slice(-6))).toBe(0);

    const records = openStationRecords({ database: db });
    try {
      expect(records.journal.listBatches()).toHaveLength(1);
      const provisioned = records.log.latest({ status: 'provisioned' }, 100);
      expect(provisioned.map((record) => record.deviceSerial).sort()).toEqual(SERIALS);
      expect(records.log.count({})).toBe(provisioned.length + records.log.count({ status: 'failed' }));
      expect(records.checkIntegrity()).toMatchObject({ database: [], chain: { intact: true } });
    } finally {
      records.close();
    }

    for (const serial of SERIALS) {
      const commands = (await readCommandLog(state, serial)).map((entry) => entry.command);
      // Each fuse bit is programmed at most once and the lock sent at most once, however often the station died.
      let burned = 0;
      for (const command of commands.filter((candidate) => candidate.startsWith('oem fuse prog'))) {
        const mask = Number(command.split(' ').at(-1));
        expect(burned & mask, `${serial}: ${command} repeats a bit`).toBe(0);
        burned |= mask;
      }
      expect(burned, serial).toBe(0x30);
      expect(commands.filter((command) => command === 'flashing lock').length, serial).toBeLessThanOrEqual(1);
    }
  }, 240_000);
});
