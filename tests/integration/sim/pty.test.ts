// The AT ports on real ttys: socat's PTYs opened with the `serialport` package, the way the station
// opens a USB modem, in process and through `lockstep sim --pty`.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SerialPort } from 'serialport';
import { afterAll, describe, expect, it } from 'vitest';
import { FastbootClient } from '../../../src/main/fastboot/client.ts';
import { connectTcp } from '../../../src/main/fastboot/tcp-transport.ts';
import { handsetDirectoryName } from '../../../src/sim/handset-state.ts';
import { createSimFleet, parseScenario, PtyUnavailableError, type SimFleet, type SimHandset, type SimPtyChange, type SimPtyServer } from '../../../src/sim/index.ts';
import { AtTerminal, bootIntoSystem, framed } from '../../unit/sim/at-host.ts';
import { startSimProcess } from './sim-process.ts';

const work = mkdtempSync(join(tmpdir(), 'lockstep-pty-'));
const fleets: SimFleet[] = [];

afterAll(async () => {
  await Promise.all(fleets.map((fleet) => fleet.close()));
  rmSync(work, { recursive: true, force: true });
});

async function fleetOf(devices: Record<string, unknown>[]): Promise<SimFleet> {
  const fleet = await createSimFleet({
    scenario: parseScenario({ devices }),
    stateDir: join(work, `state-${fleets.length}`),
    timing: { linkBytesPerSecond: 0, flashBytesPerSecond: 0, rebootMs: 50 },
  });
  fleets.push(fleet);
  return fleet;
}

function nextChange(server: SimPtyServer, kind: SimPtyChange['kind']): Promise<SimPtyChange> {
  return new Promise((resolve) => {
    const stop = server.onChange((change) => {
      if (change.kind !== kind) return;
      stop();
      resolve(change);
    });
  });
}

async function openSerial(path: string): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
  return port;
}

function closeSerial(port: SerialPort): Promise<void> {
  return new Promise((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve()));
}

/** socat processes this process started that are still running. */
function socatChildren(): number {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/stat`, 'utf8').match(/^\d+ \((.*)\) \S+ (\d+)/) ?? [];
      } catch {
        return []; // the process ended meanwhile
      }
    })
    .filter(([, name, parent]) => name === 'socat' && Number(parent) === process.pid).length;
}

async function waitFor<T>(what: string, probe: () => T | null | undefined, timeoutMs = 15_000): Promise<T> {
  for (const started = Date.now(); Date.now() - started < timeoutMs; await sleep(25)) {
    const value = probe();
    if (value !== null && value !== undefined) return value;
  }
  throw new Error(`no ${what} within ${timeoutMs} ms`);
}

describe('fleet.servePty', () => {
  it('links a booted handset’s AT port as a real tty that serialport opens, again and again, and removes it when the handset leaves', async () => {
    const fleet = await fleetOf([{ serial: 'LSIM0001' }, { serial: 'LSIM0002' }]);
    const dir = join(work, 'links');
    const server = await fleet.servePty(dir);
    expect(server.list()).toEqual([]);
    // A socat with its PTY made waits for each handset that may boot, so a port appears without a fork then.
    await waitFor('a standby socat per handset', () => (socatChildren() === 2 ? true : null));
    expect(readdirSync(dir)).toEqual([]);
    const handset = fleet.handsets[1] as SimHandset;
    const added = nextChange(server, 'added');
    await bootIntoSystem(handset);
    const { port } = await added;
    expect(port).toEqual({ serial: 'LSIM0002', path: join(dir, handsetDirectoryName('LSIM0002')) });
    expect(server.list()).toEqual([port]);

    for (let round = 0; round < 2; round++) {
      const serial = await openSerial(port.path);
      const at = new AtTerminal(serial);
      expect(await at.command('AT+XSERIAL?')).toBe(`AT+XSERIAL?\r${framed('+XSERIAL: LSIM0002', 'OK')}`);
      await closeSerial(serial);
    }

    // Unplugged with the tty open: the tty hangs up as a USB modem's does, so the next write fails
    // and serialport closes the port.
    const serial = await openSerial(port.path);
    serial.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => serial.once('close', () => resolve()));
    const removed = nextChange(server, 'removed');
    handset.unplug();
    expect((await removed).port).toEqual(port);
    expect(existsSync(port.path)).toBe(false);
    const written = new Promise<Error | null | undefined>((resolve) => serial.write('AT\r', resolve));
    expect((await written)?.message).toMatch(/EIO/);
    await closed;
    expect(serial.isOpen).toBe(false);

    const back = nextChange(server, 'added');
    handset.plugIn();
    await bootIntoSystem(handset);
    expect((await back).port).toEqual(port);
    const again = await openSerial(port.path);
    expect(await new AtTerminal(again).command('AT')).toBe(`AT\r${framed('OK')}`);
    await closeSerial(again);
    await server.close();
    expect(existsSync(port.path)).toBe(false);
  });

  it('reports a port it cannot mirror, e.g. one another program has open', async () => {
    const fleet = await fleetOf([{ serial: 'LSIM0001' }]);
    const servers = [await fleet.servePty(join(work, 'first')), await fleet.servePty(join(work, 'second'))];
    const outcomes = servers.map((server) => new Promise<SimPtyChange>((resolve) => server.onChange(resolve)));
    await bootIntoSystem(fleet.handsets[0] as SimHandset);
    const changes = await Promise.all(outcomes);
    expect(changes.map((change) => change.kind).sort()).toEqual(['added', 'failed']);
    expect(changes.find((change) => change.kind === 'failed')).toMatchObject({ reason: expect.stringMatching(/is busy: another program has it open/) });
  });

  it('says plainly when socat is missing or the folder is one socat cannot parse', async () => {
    const fleet = await fleetOf([{ serial: 'LSIM0001' }]);
    const emptyPath = join(work, 'no-socat');
    mkdirSync(emptyPath);
    writeFileSync(join(emptyPath, 'README'), 'an empty PATH');
    const path = process.env.PATH;
    process.env.PATH = emptyPath;
    try {
      await expect(fleet.servePty(join(work, 'links-2'))).rejects.toThrow(PtyUnavailableError);
      await expect(fleet.servePty(join(work, 'links-2'))).rejects.toThrow('socat is not installed (Debian/Ubuntu: apt install socat)');
    } finally {
      process.env.PATH = path;
    }
    await expect(fleet.servePty(join(work, 'a,b'))).rejects.toThrow(/use a folder path of letters, digits/);
  });
});

describe('lockstep sim --pty', () => {
  it('prints each AT port’s tty as the handset boots, and the tty answers in the handset’s dialect', async () => {
    const dir = join(work, 'cli-links');
    const scenario = join(work, 'kestrel.json');
    writeFileSync(scenario, JSON.stringify({ timing: { linkBytesPerSecond: 0, flashBytesPerSecond: 0, rebootMs: 100 }, devices: [{ serial: 'K2PTY01', model: 'kestrel-k2' }] }));
    const sim = await startSimProcess(['--state', join(work, 'cli-state'), '--scenario', scenario, '--pty', dir]);
    let code: number | null;
    try {
      const client = new FastbootClient(await connectTcp('127.0.0.1', Number(sim.addresses[0]?.split(':')[2])));
      await client.reboot();
      await client.close();
      const path = await waitFor('AT port line', () => /^K2PTY01\tat:(.+)$/m.exec(sim.output())?.[1]);
      expect(path).toBe(join(dir, handsetDirectoryName('K2PTY01')));
      const serial = await openSerial(path);
      const at = new AtTerminal(serial);
      await at.command('ATE0');
      expect(await at.command('AT$SN?')).toBe(framed('$SN: K2PTY01', 'OK'));
      await closeSerial(serial);
    } finally {
      code = (await sim.stop()).code;
    }
    expect(code).toBe(0);
    expect(existsSync(join(dir, handsetDirectoryName('K2PTY01')))).toBe(false);
  });
});
