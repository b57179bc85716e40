// Which AT port is a handset's: simulated handsets booted into their OS behind the in-process serial
// bus, and on real PTYs (the `serialport` path) next to an impostor in the same serial folder, found
// by the real discovery backends and matched by AtPorts as the batch wires it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AtClient } from '../../../src/main/at/client.ts';
import type { AtPresence } from '../../../src/main/discovery/presence.ts';
import { HandsetRegistry } from '../../../src/main/discovery/registry.ts';
import { SerialBackend } from '../../../src/main/discovery/serial-backend.ts';
import { SimSerialBackend } from '../../../src/main/discovery/sim-serial-backend.ts';
import { UsbBackend } from '../../../src/main/discovery/usb-backend.ts';
import { AtPorts } from '../../../src/main/pipeline/at-ports.ts';
import { StepFailure } from '../../../src/main/pipeline/failure.ts';
import { syncAt } from '../../../src/main/handset/at-checks.ts';
import { defaultProfilesDir, readProfile } from '../../../src/main/profiles/profile-store.ts';
import type { DeviceProfile } from '../../../src/shared/profile.ts';
import { handsetDirectoryName } from '../../../src/sim/handset-state.ts';
import { readCommandLog, type SimHandset } from '../../../src/sim/index.ts';
import { bootIntoSystem } from '../../unit/sim/at-host.ts';
import { fleetPerTest, type TestFleet } from '../../unit/sim/usb-host.ts';

const fleetOf = fleetPerTest();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The reference profile with timeouts short enough that a silent port costs a test under a second per command. */
async function referenceProfile(): Promise<DeviceProfile> {
  const profile = await readProfile(join(defaultProfilesDir(), 'lockstep-ref.json'));
  return { ...profile, timeouts: { ...profile.timeouts, atCommandMs: 400, rebootMs: 4000 } };
}

interface Matching {
  readonly ports: AtPorts;
  readonly profile: DeviceProfile;
  /** Every call of `unclaimed`: a port that answered for a handset nobody waited for. */
  readonly unclaimed: { readonly path: string; readonly serial: string }[];
  wait(serial: string, slot: string, timeoutMs?: number): Promise<AtPresence>;
}

/**
 * AtPorts fed by a registry of `backends`, as the batch feeds it. `rewrite` stands for what a port
 * listing would have said instead (another descriptor), for the tests of contradicting descriptors.
 */
async function matching(registry: HandsetRegistry, rewrite: (presence: AtPresence) => AtPresence = (presence) => presence): Promise<Matching> {
  const profile = await referenceProfile();
  const unclaimed: { path: string; serial: string }[] = [];
  const ports = new AtPorts({ profiles: () => [profile], unclaimed: (port, serial) => unclaimed.push({ path: port.path, serial }) });
  registry.subscribe((event) => {
    if (event.presence.kind === 'fastboot') ports.fastboot(event.presence.id, event.type === 'attach');
    else if (event.type === 'attach') ports.appeared(rewrite(event.presence));
    else ports.left(event.presence.id);
  });
  await registry.start();
  cleanups.push(async () => {
    ports.stop();
    await registry.stop();
  });
  const controller = new AbortController();
  cleanups.push(() => controller.abort(new Error('test over')));
  return {
    ports,
    profile,
    unclaimed,
    wait: (serial, slot, timeoutMs = 20_000) => ports.wait({ serial, slot, profile, timeoutMs, signal: controller.signal }),
  };
}

async function onSimBus(devices: Record<string, unknown>[], rewrite?: (presence: AtPresence) => AtPresence): Promise<Matching & { readonly sim: TestFleet }> {
  const sim = await fleetOf(devices);
  return { ...(await matching(new HandsetRegistry([new UsbBackend(sim.fleet.usb, 'simulated'), new SimSerialBackend(sim.fleet.serial)]), rewrite)), sim };
}

function handset(sim: TestFleet, serial: string): SimHandset {
  const found = sim.fleet.handsets.find((candidate) => candidate.serial === serial);
  if (!found) throw new Error(`no simulated handset ${serial}`);
  return found;
}

async function atCommands(sim: TestFleet, serial: string): Promise<string[]> {
  return (await readCommandLog(sim.stateDir, serial)).filter((entry) => entry.channel === 'at').map((entry) => entry.command);
}

/** What a wait rejected with, as code and message; fails the test when it resolved. */
async function failure(waiting: Promise<AtPresence>): Promise<{ code: string; message: string }> {
  const outcome = await waiting.then(
    (port) => new Error(`resolved with ${port.path}`),
    (error: unknown) => error,
  );
  if (!(outcome instanceof StepFailure)) throw outcome;
  return { code: outcome.code, message: outcome.message };
}

const simPath = (serial: string): string => `sim:${handsetDirectoryName(serial)}`;

describe('AT ports on the simulated serial bus', () => {
  it('keeps asking a port that answers ERROR after boot, and binds it once it answers, with its path and USB port', async () => {
    const { sim, wait } = await onSimBus([{ serial: 'LSIM0001', faults: [{ kind: 'fail', on: 'at', command: 'AT', message: 'ERROR', times: 7 }] }]);
    const waiting = wait('LSIM0001', '1-1.1');
    await bootIntoSystem(handset(sim, 'LSIM0001'));
    const port = await waiting;
    expect(port).toMatchObject({ path: simPath('LSIM0001'), usbPort: '1-1.1', serial: 'LSIM0001' });
    // Three rounds: two syncs of three ERRORs each, then one more ERROR, OK, and the serial query.
    expect(await atCommands(sim, 'LSIM0001')).toEqual([...Array<string>(8).fill('AT'), 'AT+XSERIAL?']);
  });

  it('fails the wait with AT_TIMEOUT when the port answered and then went silent, after asking it again', async () => {
    const { sim, wait } = await onSimBus([{ serial: 'LSIM0001', faults: [{ kind: 'stall', on: 'at', command: 'AT+XSERIAL?' }] }]);
    const waiting = failure(wait('LSIM0001', '1-1.1', 3000));
    await bootIntoSystem(handset(sim, 'LSIM0001'));
    const { code, message } = await waiting;
    expect(code).toBe('AT_TIMEOUT');
    expect(message).toContain(`the AT port ${simPath('LSIM0001')} answered, then went silent`);
    const commands = await atCommands(sim, 'LSIM0001');
    expect(commands.slice(0, 2)).toEqual(['AT', 'AT+XSERIAL?']);
    expect(commands.filter((command) => command === 'AT').length).toBeGreaterThan(1);
  });

  it('fails the wait with REBOOT_TIMEOUT when no port ever answered', async () => {
    const { sim, wait } = await onSimBus([{ serial: 'LSIM0001', faults: [{ kind: 'stall', on: 'at', command: 'AT' }] }]);
    const waiting = failure(wait('LSIM0001', '1-1.1', 2000));
    await bootIntoSystem(handset(sim, 'LSIM0001'));
    const { code, message } = await waiting;
    expect(code).toBe('REBOOT_TIMEOUT');
    expect(message).toMatch(/^no AT port answered as handset LSIM0001 within 2 s of rebooting/);
  });

  it('refuses a port that answers the handset’s serial from another USB port than the handset’s slot', async () => {
    const { sim, wait, ports } = await onSimBus([{ serial: 'LSIM0001', usbPort: '2-4' }]);
    const waiting = failure(wait('LSIM0001', '1-3.2'));
    await bootIntoSystem(handset(sim, 'LSIM0001'));
    const { code, message } = await waiting;
    expect(code).toBe('AT_PORT_CONFLICT');
    expect(message).toBe(`the AT port ${simPath('LSIM0001')} answers as handset LSIM0001 but it sits on USB port 2-4 while the handset is in 1-3.2; it is not used`);
    expect(ports.portOf('LSIM0001', '1-3.2')).toBeUndefined();
    expect(ports.portOf('LSIM0001', '2-4')?.path).toBe(simPath('LSIM0001'));
  });

  it('refuses a port whose USB descriptor names another serial than it answers, escaping the descriptor', async () => {
    const rewrite = (presence: AtPresence): AtPresence => ({ ...presence, serial: 'LSIM0002\x1b[2J' });
    const { sim, wait } = await onSimBus([{ serial: 'LSIM0001' }], rewrite);
    const waiting = failure(wait('LSIM0001', '1-1.1'));
    await bootIntoSystem(handset(sim, 'LSIM0001'));
    const { code, message } = await waiting;
    expect(code).toBe('AT_PORT_CONFLICT');
    expect(message).toContain('but its USB descriptor gives the serial LSIM0002\\x1B[2J; it is not used');
  });

  it('hands a port that answered for a handset nobody waits for over once', async () => {
    const { sim, unclaimed, ports } = await onSimBus([{ serial: 'LSIM0001' }]);
    await bootIntoSystem(handset(sim, 'LSIM0001'));
    await expect.poll(() => unclaimed, { timeout: 10_000 }).toEqual([{ path: simPath('LSIM0001'), serial: 'LSIM0001' }]);
    expect(ports.portOf('LSIM0001', '1-1.1')?.path).toBe(simPath('LSIM0001'));
    handset(sim, 'LSIM0001').unplug();
    await expect.poll(() => ports.portOf('LSIM0001', '1-1.1'), { timeout: 10_000 }).toBeUndefined();
    expect(unclaimed).toHaveLength(1);
  });
});

/** A device on a real PTY (socat) in the serial folder that answers AT and claims to be `serial` in the reference dialect. */
class Impostor {
  readonly path: string;
  readonly commands: string[] = [];
  readonly #socat: ChildProcess;
  readonly #closed: Promise<void>;

  constructor(path: string, serial: string) {
    this.path = path;
    this.#socat = spawn('socat', [`PTY,link=${path},rawer,echo=0`, 'STDIO'], { stdio: ['pipe', 'pipe', 'ignore'] });
    this.#closed = new Promise((resolve) => this.#socat.once('close', () => resolve()));
    let pending = '';
    this.#socat.stdout?.setEncoding('latin1');
    this.#socat.stdout?.on('data', (text: string) => {
      pending += text;
      for (let end = pending.indexOf('\r'); end >= 0; end = pending.indexOf('\r')) {
        const command = pending.slice(0, end).replace(/^\n+/, '');
        pending = pending.slice(end + 1);
        if (command === '') continue;
        this.commands.push(command);
        const answer = command === 'AT' ? ['OK'] : command === 'AT+XSERIAL?' ? [`+XSERIAL: ${serial}`, 'OK'] : ['ERROR'];
        this.#socat.stdin?.write(answer.map((line) => `\r\n${line}\r\n`).join(''));
      }
    });
    this.#socat.stdin?.on('error', () => undefined);
  }

  async ready(): Promise<void> {
    await expect.poll(() => existsSync(this.path), { timeout: 10_000 }).toBe(true);
  }

  async close(): Promise<void> {
    this.#socat.kill('SIGTERM');
    await this.#closed;
  }
}

describe('AT ports on real PTYs in a serial folder', () => {
  async function ptyFolder(): Promise<Matching & { readonly sim: TestFleet; readonly dir: string }> {
    const sim = await fleetOf([{ serial: 'LSIM0001' }]);
    const work = mkdtempSync(join(tmpdir(), 'lockstep-at-ports-'));
    cleanups.push(() => rmSync(work, { recursive: true, force: true }));
    const dir = join(work, 'ports');
    const pty = await sim.fleet.servePty(dir);
    cleanups.push(() => pty.close());
    const registry = new HandsetRegistry([new UsbBackend(sim.fleet.usb, 'simulated'), new SerialBackend({ paths: [dir], listSystemPorts: false })]);
    return { ...(await matching(registry)), sim, dir };
  }

  async function impostorIn(dir: string): Promise<Impostor> {
    const impostor = new Impostor(join(dir, 'impostor'), 'LSIM0001');
    cleanups.push(() => impostor.close());
    await impostor.ready();
    return impostor;
  }

  it('binds the handset’s own tty, naming the path that answered', async () => {
    const { sim, dir, wait } = await ptyFolder();
    const waiting = wait('LSIM0001', '1-1.1');
    await bootIntoSystem(handset(sim, 'LSIM0001'));
    const port = await waiting;
    // A PTY tells no USB port path: the serial answer alone binds it.
    expect(port).toMatchObject({ path: join(dir, handsetDirectoryName('LSIM0001')), usbPort: null, serial: null });
  });

  it('refuses an impostor that answered the handset’s serial while the handset was still in fastboot', async () => {
    const { sim, dir, wait, ports } = await ptyFolder();
    const impostor = await impostorIn(dir);
    // Asked while nobody waits (it may be a handset that booted unwatched): its claim is heard before the reboot.
    await expect.poll(() => impostor.commands, { timeout: 10_000 }).toContain('AT+XSERIAL?');
    const waiting = failure(wait('LSIM0001', '1-1.1'));
    await bootIntoSystem(handset(sim, 'LSIM0001'));
    const { code, message } = await waiting;
    expect(code).toBe('AT_PORT_CONFLICT');
    expect(message).toMatch(/ answers? as handset LSIM0001/);
    expect(message).toContain(impostor.path);
    // Neither the impostor nor the handset's own port (once it is there too) is anybody's.
    await expect.poll(() => ports.portOf('LSIM0001', '1-1.1') ?? null, { timeout: 10_000 }).toBeNull();
  });

  it('fails the wait with AT_PORT_CONFLICT naming both ports when the impostor and the handset’s own port are both there, and uses neither', async () => {
    const { sim, dir, wait, ports } = await ptyFolder();
    await bootIntoSystem(handset(sim, 'LSIM0001'));
    const own = join(dir, handsetDirectoryName('LSIM0001'));
    await expect.poll(() => ports.portOf('LSIM0001', '1-1.1')?.path, { timeout: 10_000 }).toBe(own);
    const impostor = await impostorIn(dir);
    await expect.poll(() => impostor.commands, { timeout: 10_000 }).toContain('AT+XSERIAL?');
    const { code, message } = await failure(wait('LSIM0001', '1-1.1'));
    expect(code).toBe('AT_PORT_CONFLICT');
    expect(message).toMatch(/^2 AT ports answer as handset LSIM0001: .+ and .+; neither is used$/);
    expect(message).toContain(impostor.path);
    expect(message).toContain(own);
    expect(ports.portOf('LSIM0001', '1-1.1')).toBeUndefined();
  });


  it('cuts the run’s open link to its bound port when a second port claims the handset, and opens it no more', async () => {
    const { sim, dir, wait, profile } = await ptyFolder();
    const waiting = wait('LSIM0001', '1-1.1');
    await bootIntoSystem(handset(sim, 'LSIM0001'));
    const bound = await waiting;
    const client = new AtClient(await bound.open(), 'bound');
    cleanups.push(() => client.close());
    await syncAt(client, profile);
    const impostor = await impostorIn(dir);
    await expect.poll(() => impostor.commands, { timeout: 10_000 }).toContain('AT+XSERIAL?');
    const answer = (): Promise<string> => client.command('AT', { timeoutMs: 2000 }).then(() => 'answered', (error: { code?: string }) => error.code ?? 'no code');
    await expect.poll(answer, { timeout: 10_000 }).toBe('AT_PORT_CONFLICT');
    await expect(bound.open()).rejects.toMatchObject({ code: 'AT_PORT_CONFLICT', message: expect.stringMatching(/^2 AT ports answer as handset LSIM0001: /) });
  });
});
