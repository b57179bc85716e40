// Seeded random hostile input: whatever the host sends, the handset answers with well-formed
// packets (or, over TCP, drops the connection) and keeps serving.
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { fleetPerTest, UsbHost } from './usb-host.ts';

const fleetOf = fleetPerTest();
const PREFIXES = ['getvar:', 'download:', 'flash:', 'erase:', 'oem sha256 ', 'oem fuse prog ', 'oem fuse read ', 'set_active:', 'flashing ', 'oem ', ''];
const ALPHABET = 'abcdefx0123456789 :_-\x00\xff';

/** mulberry32: a small deterministic generator, so a failure replays exactly. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const pick = <T>(next: () => number, items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
const NUMBERS = ['0', '1', '3', '7', '8', '0x30', '0x', '-1', '4096', '0x100000', '1048577', '99999999999999999999', '0xffffffff', '0x100000000', '1e3', ''];
const STRUCTURED: readonly ((next: () => number) => string)[] = [
  (next) => `getvar:${pick(next, ['product', 'serialno', 'all', 'has-slot:boot', 'partition-size:misc', 'nonsense', '__proto__', ''])}`,
  (next) => `oem fuse read ${pick(next, NUMBERS)} ${pick(next, NUMBERS)}`,
  (next) => `oem fuse prog ${pick(next, NUMBERS)} ${pick(next, NUMBERS)} ${pick(next, NUMBERS)}`,
  (next) => `oem sha256 ${pick(next, ['misc', 'boot', 'boot_a', 'nothing'])} ${pick(next, NUMBERS)}`,
  (next) => `${pick(next, ['erase:', 'flash:'])}${pick(next, ['misc', 'boot', 'vendor_b', 'nothing', ''])}`,
  (next) => `set_active:${pick(next, ['a', 'b', '_a', 'c', ''])}`,
];

function hostilePacket(next: () => number): Uint8Array {
  if (next() < 0.5) return Buffer.from(pick(next, STRUCTURED)(next), 'latin1');
  if (next() < 0.2) return Uint8Array.from({ length: Math.floor(next() * 80) }, () => Math.floor(next() * 256));
  const prefix = PREFIXES[Math.floor(next() * PREFIXES.length)] ?? '';
  const suffix = Array.from({ length: Math.floor(next() * 7) }, () => ALPHABET[Math.floor(next() * ALPHABET.length)]).join('');
  return Buffer.from(prefix + suffix, 'latin1');
}

describe('hostile host input, at random', () => {
  it('answers 1500 random packets over USB with well-formed responses and keeps serving', async () => {
    const sim = await fleetOf([{ serial: 'FUZZ0001', maxDownloadSize: 0x100000 }]);
    const host = await UsbHost.connect(sim.fleet.handsets[0]?.usbDevice ?? null);
    const next = random(20260424);
    const counts: Record<string, number> = {};
    for (let round = 0; round < 1500; round++) {
      const packet = hostilePacket(next);
      if (packet.length === 0) continue;
      const reply = await host.command(packet);
      counts[reply.code] = (counts[reply.code] ?? 0) + 1;
      expect(['OKAY', 'FAIL', 'DATA'], Buffer.from(packet).toString('latin1')).toContain(reply.code);
      expect(reply.packets.every((response) => response.length <= 64)).toBe(true);
      if (reply.code === 'DATA') {
        const size = Number.parseInt(reply.text, 16);
        if (size <= 65536) expect((await sendData(host, size)).code).toBe('OKAY');
        else await host.device.reset();
      }
    }
    expect(await host.command('getvar:serialno')).toMatchObject({ code: 'OKAY', text: 'FUZZ0001' });
    // The structured half of the input reaches past the parser into the commands themselves.
    expect(counts.OKAY).toBeGreaterThan(200);
  });

  it('survives random bytes after the TCP handshake and serves the next connection', async () => {
    const sim = await fleetOf([{ serial: 'FUZZ0002' }]);
    const [port] = await sim.fleet.serveTcp(0);
    const next = random(7);
    for (let round = 0; round < 20; round++) {
      const socket = connect({ host: '127.0.0.1', port: port as number });
      socket.on('error', () => undefined);
      socket.on('data', () => undefined);
      // The server may drop the connection first: listen for the close from the start.
      const closed = new Promise((resolve) => socket.once('close', resolve));
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write('FB01');
      socket.write(Uint8Array.from({ length: 1 + Math.floor(next() * 400) }, () => Math.floor(next() * 256)));
      await new Promise((resolve) => setTimeout(resolve, 10));
      socket.destroy();
      await closed;
    }
    const socket = connect({ host: '127.0.0.1', port: port as number });
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    await new Promise((resolve) => socket.once('connect', resolve));
    const header = Buffer.alloc(8);
    header.writeBigUInt64BE(15n);
    socket.write(Buffer.concat([Buffer.from('FB01'), header, Buffer.from('getvar:serialno')]));
    await expect.poll(() => Buffer.concat(received).toString('latin1')).toBe(`FB01${'\0'.repeat(7)}\x0cOKAYFUZZ0002`);
    socket.destroy();
  });
});

async function sendData(host: UsbHost, size: number) {
  await host.send(new Uint8Array(size));
  return host.reply();
}
