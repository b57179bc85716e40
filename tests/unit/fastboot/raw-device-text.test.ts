// Issue 17 (3): a serial with control bytes must reach the identity check as the bytes the handset
// sent, on every transport, so the SERIAL_NUMBER grammar refuses it over TCP exactly as over USB;
// escaping happens only where device text is shown (error messages, the CLI).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/main/cli/main.ts';
import { FastbootClient } from '../../../src/main/fastboot/client.ts';
import { FastbootFailError } from '../../../src/main/fastboot/errors.ts';
import { connectTcp } from '../../../src/main/fastboot/tcp-transport.ts';
import { openUsb } from '../../../src/main/fastboot/usb-transport.ts';
import { HandsetError } from '../../../src/main/handset/errors.ts';
import { ProfiledFastboot } from '../../../src/main/handset/fastboot-ops.ts';
import { SERIAL_NUMBER } from '../../../src/shared/identifiers.ts';
import { profileSchema, type DeviceProfile } from '../../../src/shared/profile.ts';
import { createSimFleet, parseScenario, type SimFleet } from '../../../src/sim/index.ts';
import { scriptedConnections, type Peer } from './scripted-peer.ts';

const HOSTILE_SERIAL = 'HS\x1b[2J01';
const REFERENCE: DeviceProfile = profileSchema.parse(JSON.parse(readFileSync(join(import.meta.dirname, '../../../resources/profiles/lockstep-ref.json'), 'utf8')));
/** No control byte, DEL, C1 or other non-ASCII character: what may reach a terminal. */
const TERMINAL_SAFE = /^[\x20-\x7e\n…]*$/;

const connections = scriptedConnections();
afterEach(() => connections.release());

/** A reference handset over TCP whose getvar answers are `answers`, byte for byte. */
async function answering(answers: Readonly<Record<string, Buffer | string>>): Promise<ProfiledFastboot> {
  const { client } = await connections.connect(async (device: Peer) => {
    for (;;) {
      const frame = await device.readFrame();
      if (frame === null) return;
      const name = frame.toString('latin1').replace(/^getvar:/, '');
      const answer = answers[name];
      device.reply(answer === undefined ? 'FAILunknown variable' : Buffer.concat([Buffer.from('OKAY'), Buffer.from(answer)]));
    }
  });
  return new ProfiledFastboot(client, REFERENCE);
}

const REFERENCE_ANSWERS = { unlocked: 'yes', product: 'lockstep-ref', 'hw-revision': 'B2', 'version-bootloader': 'LSBL-1.4.2', 'battery-voltage': '4100' };

describe('device text over the TCP transport', () => {
  it('reaches readIdentity and readSerialAndProduct raw, so the serial grammar refuses the ESC byte', async () => {
    const ops = await answering({ ...REFERENCE_ANSWERS, serialno: Buffer.from(HOSTILE_SERIAL, 'latin1') });
    const identity = await ops.readIdentity();
    expect(identity.serial).toBe(HOSTILE_SERIAL);
    expect(SERIAL_NUMBER.test(identity.serial)).toBe(false);
    expect(await ops.readSerialAndProduct()).toEqual({ serial: HOSTILE_SERIAL, product: 'lockstep-ref' });
  });

  it('keeps every byte, non-ASCII ones included, one character per byte', async () => {
    const bytes = Buffer.from([0x48, 0x53, 0x00, 0x5c, 0x7f, 0x80, 0xc3, 0xa9, 0xff]);
    const ops = await answering({ ...REFERENCE_ANSWERS, serialno: bytes });
    const { serial } = await ops.readIdentity();
    expect(Buffer.from(serial, 'latin1').equals(bytes)).toBe(true);
    expect(SERIAL_NUMBER.test(serial)).toBe(false);
  });

  it('escapes device text in the errors that quote it', async () => {
    const { client } = await connections.connect(async (device) => {
      await device.readFrame();
      device.reply('INFO0x\x1b[2J\x07');
      device.reply('OKAY');
      await device.readFrame();
      device.reply('FAIL\x1b]0;owned\x07 no');
    });
    const ops = new ProfiledFastboot(client, REFERENCE);
    const unexpected = await ops.readFuseWord(3, 0).catch((error: unknown) => error);
    expect(unexpected).toBeInstanceOf(HandsetError);
    expect((unexpected as Error).message).toContain("the answer '0x\\x1B[2J\\x07' does not match");
    expect((unexpected as Error).message).toMatch(TERMINAL_SAFE);
    const refused = await ops.lock().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(FastbootFailError);
    expect((refused as Error).message).toContain('the device refused: \\x1b]0;owned\\x07 no');
    expect((refused as Error).message).toMatch(TERMINAL_SAFE);
  });
});

describe('device text from the virtual handset, over TCP and over the simulated USB bus', () => {
  const work = mkdtempSync(join(tmpdir(), 'lockstep-raw-text-'));
  let fleet: SimFleet;
  let port: number;

  beforeAll(async () => {
    // A link is exclusive: one handset for TCP, one for USB.
    const scenario = parseScenario({ devices: [{ serial: HOSTILE_SERIAL }, { serial: 'HS\x1b[2J02' }] });
    fleet = await createSimFleet({ scenario, stateDir: join(work, 'state'), timing: { linkBytesPerSecond: 0, flashBytesPerSecond: 0, rebootMs: 50 } });
    [port = 0] = await fleet.serveTcp(0);
  });

  afterAll(async () => {
    await fleet?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('gives readIdentity the same raw serial on both transports', async () => {
    const overTcp = new ProfiledFastboot(new FastbootClient(await connectTcp('127.0.0.1', port)), REFERENCE);
    const usbDevice = fleet.handsets[1]?.usbDevice;
    if (!usbDevice) throw new Error('the second handset is not on the USB bus');
    const overUsb = new ProfiledFastboot(new FastbootClient(await openUsb(usbDevice)), REFERENCE);
    try {
      const [tcpIdentity, usbIdentity] = [await overTcp.readIdentity(), await overUsb.readIdentity()];
      expect(tcpIdentity.serial).toBe(HOSTILE_SERIAL);
      expect(usbIdentity.serial).toBe('HS\x1b[2J02');
      for (const identity of [tcpIdentity, usbIdentity]) expect(SERIAL_NUMBER.test(identity.serial)).toBe(false);
      expect(overUsb.device).toBe('usb:1-1.2 HS\\x1b[2J02');
    } finally {
      await overTcp.client.close();
      await overUsb.client.close();
    }
  });

  it('prints device text escaped from `lockstep fastboot`', async () => {
    let out = '';
    const io = { out: (text: string) => void (out += text), err: () => undefined, isTty: false };
    expect(await main(['fastboot', '-s', `tcp:127.0.0.1:${port}`, 'getvar', 'serialno'], io)).toBe(0);
    expect(await main(['fastboot', '-s', `tcp:127.0.0.1:${port}`, 'getvar', 'all'], io)).toBe(0);
    expect(out).toContain('serialno: HS\\x1b[2J01\n');
    expect(out).toMatch(TERMINAL_SAFE);
  });
});
