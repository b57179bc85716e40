import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fleetPerTest, UsbHost } from './usb-host.ts';

const MIB = 1024 * 1024;
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const fleetOf = fleetPerTest();

async function oneHandset(device: Record<string, unknown> = {}) {
  const sim = await fleetOf([{ serial: 'LSIM0001', ...device }]);
  const handset = sim.fleet.handsets[0];
  if (!handset) throw new Error('no handset');
  return { sim, handset, host: await UsbHost.connect(handset.usbDevice) };
}

describe('getvar', () => {
  it('answers the reference handset contract, sizes in 0x hex, and FAILs unknown variables', async () => {
    const { host } = await oneHandset({ product: 'lockstep-ref', hwRevision: 'B2', maxDownloadSize: 0x800000 });
    const answers: Record<string, string> = {
      product: 'lockstep-ref',
      serialno: 'LSIM0001',
      'hw-revision': 'B2',
      'version-bootloader': 'LSBL-1.4.2',
      'battery-voltage': '4100',
      unlocked: 'yes',
      secure: 'yes',
      'max-download-size': '0x800000',
      'current-slot': 'a',
      'slot-count': '2',
      version: '0.4',
      'has-slot:boot': 'yes',
      'has-slot:system': 'yes',
      'has-slot:vendor': 'yes',
      'has-slot:userdata': 'no',
      'has-slot:boot_a': 'no',
      'partition-size:boot_a': '0x4000000',
      'partition-size:userdata': '0x100000000',
      'partition-type:system_b': 'raw',
      'is-logical:vendor_a': 'no',
    };
    for (const [name, value] of Object.entries(answers)) expect(await host.command(`getvar:${name}`), name).toMatchObject({ code: 'OKAY', text: value });
    for (const name of ['nonsense', 'has-slot:nothing', 'partition-size:nothing', '__proto__', 'toString']) {
      expect(await host.command(`getvar:${name}`), name).toMatchObject({ code: 'FAIL', text: 'unknown variable' });
    }
  });

  it('lists every variable as INFO name:value lines for getvar:all, each within the 64-byte packet', async () => {
    const { host } = await oneHandset();
    const reply = await host.command('getvar:all');
    expect(reply.code).toBe('OKAY');
    expect(reply.info).toContain('partition-size:system_a:0x80000000');
    expect(reply.info).toContain('has-slot:boot:yes');
    expect(reply.info).toContain('serialno:LSIM0001');
    expect(reply.packets.every((packet) => packet.length <= 64)).toBe(true);
  });

  it('cuts hostile identity strings at the 64-byte packet limit, byte-exact, and keeps USB descriptors within 126 units', async () => {
    const serial = `=cmd|' /C calc'!A0^XA^FO50,50\x1b[2J\x00${'é'.repeat(20)}${'X'.repeat(1024 * 1024)}`;
    const { handset, host } = await oneHandset({ serial, product: '^XA^FDevil^FS^XZ\r\n' });
    const reply = await host.command('getvar:serialno');
    expect(reply.packets[0]?.length).toBe(64);
    expect(Buffer.from(reply.packets[0] as Uint8Array).subarray(4)).toEqual(Buffer.from(serial, 'utf8').subarray(0, 60));
    expect((await host.command('getvar:product')).text).toBe('^XA^FDevil^FS^XZ\r\n');
    expect(handset.usbDevice?.serialNumber).toBe(serial.slice(0, 126));
    expect((await host.command('getvar:all')).packets.every((packet) => packet.length <= 64)).toBe(true);
  });

  it('answers with scenario overrides, e.g. a device advertising an absurd max-download-size', async () => {
    const { host } = await oneHandset({ getvarOverrides: { 'max-download-size': '0x0' } });
    expect(await host.command('getvar:max-download-size')).toMatchObject({ code: 'OKAY', text: '0x0' });
  });
});

describe('download and flash', () => {
  it('flashes raw data, answers oem sha256 with the digest in two INFO lines, and erase reads back as zeros', async () => {
    const { host } = await oneHandset();
    const image = randomBytes(3 * MIB + 123);
    expect(await host.command('erase:boot_a')).toMatchObject({ code: 'OKAY' });
    expect(await host.flash('boot_a', image)).toMatchObject({ code: 'OKAY' });
    const reply = await host.command(`oem sha256 boot_a ${image.length}`);
    expect(reply.info.map((line) => line.length)).toEqual([32, 32]);
    expect(reply.info.join('')).toBe(sha256(image));
    expect(await host.sha256('boot_a', image.length)).toBe(sha256(image));
    expect(await host.command('erase:boot_a')).toMatchObject({ code: 'OKAY' });
    expect(await host.sha256('boot_a', image.length)).toBe(sha256(new Uint8Array(image.length)));
  });

  it('refuses a download larger than max-download-size, and malformed sizes, with FAIL', async () => {
    const { host } = await oneHandset({ maxDownloadSize: 0x100000 });
    expect((await host.command('download:00100001')).code).toBe('FAIL');
    for (const size of ['', '0', 'zz', '123456789', '-1', ' 10']) expect((await host.command(`download:${size}`)).code, size).toBe('FAIL');
    expect(await host.command('download:00100000')).toMatchObject({ code: 'DATA', text: '00100000' });
  });

  it('maps a slotted base name to the active slot, follows set_active, and refuses unknown partitions', async () => {
    const { host, handset } = await oneHandset();
    const image = randomBytes(4096);
    expect(await host.flash('boot', image)).toMatchObject({ code: 'OKAY' });
    expect(await handset.partitionSha256('boot_a', 4096)).toBe(sha256(image));
    expect(await host.command('set_active:b')).toMatchObject({ code: 'OKAY' });
    expect(await host.command('getvar:current-slot')).toMatchObject({ text: 'b' });
    expect((await host.command('set_active:c')).code).toBe('FAIL');
    expect(await host.command('flash:nothing')).toMatchObject({ code: 'FAIL', text: 'partition nothing does not exist' });
    expect((await host.flash('misc', randomBytes(2 * MIB))).code).toBe('FAIL');
  });

  it('refuses flash:, erase: and oem fuse prog on a locked handset, and keeps the lock across a restart', async () => {
    const { host, sim } = await oneHandset();
    expect(await host.command('flashing lock')).toMatchObject({ code: 'OKAY' });
    expect(await host.command('getvar:unlocked')).toMatchObject({ text: 'no' });
    expect(await host.command('flashing lock')).toMatchObject({ code: 'FAIL' });
    expect(await host.command('erase:boot_a')).toMatchObject({ code: 'FAIL', text: 'Flashing is not allowed in Lock State' });
    expect(await host.download(randomBytes(4096))).toMatchObject({ code: 'OKAY' });
    expect(await host.command('flash:boot_a')).toMatchObject({ code: 'FAIL', text: 'Flashing is not allowed in Lock State' });
    expect((await host.command('oem fuse prog 3 0 0x10')).code).toBe('FAIL');
    const reopened = await sim.reopen();
    expect(reopened.handsets[0]?.unlocked).toBe(false);
    const again = await UsbHost.connect(reopened.handsets[0]?.usbDevice ?? null);
    expect(await again.command('getvar:unlocked')).toMatchObject({ text: 'no' });
  });

  it('wipes userdata when unlocked again, as Android bootloaders do', async () => {
    const { host, handset } = await oneHandset();
    expect(await host.flash('userdata', randomBytes(8192))).toMatchObject({ code: 'OKAY' });
    await host.command('flashing lock');
    expect(await host.command('flashing unlock')).toMatchObject({ code: 'OKAY' });
    expect(await handset.partitionSha256('userdata', 8192)).toBe(sha256(new Uint8Array(8192)));
  });
});

describe('oem sha256 parsing', () => {
  it('takes the byte count in decimal or 0x hex and refuses anything else or past the partition', async () => {
    const { host } = await oneHandset();
    const zeros = sha256(new Uint8Array(4096));
    for (const size of ['4096', '0x1000', '0X1000', '0x00001000']) expect(await host.sha256('misc', Number(size) || 4096), size).toBe(zeros);
    expect((await host.command('oem sha256 misc 4096')).info.join('')).toBe(zeros);
    expect((await host.command('oem sha256 misc 0x1000')).info.join('')).toBe(zeros);
    expect((await host.command('oem sha256 misc 0')).info.join('')).toBe(sha256(new Uint8Array(0)));
    expect(await host.command('oem sha256 misc 1048576')).toMatchObject({ code: 'OKAY' });
    for (const bad of ['1048577', '0x100001', '-1', '1e3', '0x', '12abc', '4096 extra', '', '99999999999999999999']) {
      expect((await host.command(`oem sha256 misc ${bad}`)).code, bad).toBe('FAIL');
    }
    expect((await host.command('oem sha256 nothing 16')).code).toBe('FAIL');
  });
});

describe('OTP fuses', () => {
  it('only ever sets bits, reads back as 0x%08x, and persists across a restart', async () => {
    const { host, sim } = await oneHandset();
    expect(await host.command('oem fuse read 3 0')).toMatchObject({ code: 'OKAY', info: ['0x00000001'] });
    expect(await host.command('oem fuse prog 3 0 0x30')).toMatchObject({ code: 'OKAY' });
    expect(await host.command('oem fuse read 3 0')).toMatchObject({ info: ['0x00000031'] });
    // Programming a mask without a burned bit leaves that bit burned: bits only go 0 -> 1.
    expect(await host.command('oem fuse prog 3 0 0x100')).toMatchObject({ code: 'OKAY' });
    expect(await host.command('oem fuse read 3 0')).toMatchObject({ info: ['0x00000131'] });
    expect(await host.command('oem fuse prog 7 7 4294967295')).toMatchObject({ code: 'OKAY' });
    expect(await host.command('oem fuse read 7 7')).toMatchObject({ info: ['0xffffffff'] });
    for (const bad of ['oem fuse prog 3 0 0x100000000', 'oem fuse prog 8 0 1', 'oem fuse prog 3 8 1', 'oem fuse read 3', 'oem fuse read x 0', 'oem fuse burn 3 0 1']) {
      expect((await host.command(bad)).code, bad).toBe('FAIL');
    }
    const reopened = await sim.reopen();
    expect(reopened.handsets[0]?.fuseWord(3, 0)).toBe(0x131);
    expect(reopened.handsets[0]?.fuseWord(7, 7)).toBe(0xffffffff);
  });

  it('seeds fuse words from the scenario only when the handset has no saved state', async () => {
    const { handset } = await oneHandset({ fuses: [{ bank: 3, word: 0, value: 0x11 }, { bank: 0, word: 1, value: 0xabcd }] });
    expect(handset.fuseWord(3, 0)).toBe(0x11);
    expect(handset.fuseWord(0, 1)).toBe(0xabcd);
  });
});

describe('hostile host input', () => {
  it('FAILs bad commands with a reason and keeps answering', async () => {
    const { host } = await oneHandset();
    const garbage = [new Uint8Array(65).fill(0x41), new Uint8Array([0xff, 0x00, 0x1b, 0x9b]), Buffer.from('flash:'), Buffer.from('flash:boot_a'), Buffer.from('reboot now'), Buffer.from('oem'), Buffer.from('flashing'), Buffer.from('getvar'), Buffer.from('GETVAR:product'), Buffer.from('upload')];
    for (const packet of garbage) {
      const reply = await host.command(packet);
      expect(reply.code, Buffer.from(packet).toString('latin1')).toBe('FAIL');
      expect(reply.text.length).toBeGreaterThan(0);
    }
    expect(await host.command('getvar:product')).toMatchObject({ code: 'OKAY', text: 'lockstep-ref' });
  });

  it('refuses download data beyond the announced size and a sparse image that does not parse', async () => {
    const { host } = await oneHandset();
    expect(await host.command('download:00000010')).toMatchObject({ code: 'DATA' });
    await host.send(new Uint8Array(32));
    expect(await host.reply()).toMatchObject({ code: 'FAIL', text: 'received 16 bytes more than the download announced' });
    expect(await host.command('flash:boot_a')).toMatchObject({ code: 'FAIL', text: 'no image downloaded; send download: first' });
    const badSparse = Buffer.alloc(64);
    badSparse.writeUInt32LE(0xed26ff3a, 0);
    badSparse.writeUInt16LE(1, 4);
    badSparse.writeUInt16LE(28, 8);
    badSparse.writeUInt16LE(12, 10);
    badSparse.writeUInt32LE(4096, 12);
    badSparse.writeUInt32LE(1, 16);
    badSparse.writeUInt32LE(1, 20);
    expect(await host.download(badSparse)).toMatchObject({ code: 'OKAY' });
    expect((await host.command('flash:boot_a')).text).toMatch(/^Invalid sparse image at byte/);
    expect(await host.command('getvar:unlocked')).toMatchObject({ code: 'OKAY' });
  });
});
