import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ByteReader } from '../../../src/lib/sparse/byte-reader.ts';
import { readCommandLog } from '../../../src/sim/index.ts';
import { fleetPerTest } from './usb-host.ts';

const fleetOf = fleetPerTest();

async function servedFleet(devices: Record<string, unknown>[]) {
  const sim = await fleetOf(devices);
  const ports = await sim.fleet.serveTcp(0);
  return { sim, ports };
}

/** A raw TCP peer: bytes in, bytes out, no protocol help, so the tests control every byte. */
class Peer {
  readonly socket: Socket;
  readonly #reader: ByteReader;
  readonly closed: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.#reader = new ByteReader(socket);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static async open(port: number): Promise<Peer> {
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('error', () => undefined);
    const peer = new Peer(socket);
    // A port that resets the connection never reports 'connect', only the close.
    await Promise.race([new Promise((resolve) => socket.once('connect', resolve)), peer.closed]);
    return peer;
  }

  static async handshaken(port: number): Promise<Peer> {
    const peer = await Peer.open(port);
    peer.socket.write('FB01');
    expect(await peer.read(4)).toBe('FB01');
    return peer;
  }

  async read(length: number): Promise<string> {
    const bytes = await this.#reader.readExact(length);
    return bytes ? Buffer.from(bytes).toString('latin1') : '';
  }

  frame(payload: Uint8Array | string, declaredLength?: bigint): void {
    const body = typeof payload === 'string' ? Buffer.from(payload, 'latin1') : payload;
    const header = Buffer.alloc(8);
    header.writeBigUInt64BE(declaredLength ?? BigInt(body.length));
    this.socket.write(Buffer.concat([header, body]));
  }

  async response(): Promise<string> {
    const header = await this.#reader.readExact(8);
    if (!header) throw new Error('connection closed');
    return this.read(Number(Buffer.from(header).readBigUInt64BE()));
  }

  async command(text: string): Promise<string> {
    this.frame(text);
    return this.response();
  }
}

describe('fastboot TCP server', () => {
  it('serves each handset of a fleet on its own port', async () => {
    const { ports } = await servedFleet([{ serial: 'LSIM0001' }, { serial: 'LSIM0002' }]);
    expect(ports).toHaveLength(2);
    for (const [index, port] of ports.entries()) {
      const peer = await Peer.handshaken(port);
      expect(await peer.command('getvar:serialno')).toBe(`OKAYLSIM000${index + 1}`);
      peer.socket.destroy();
    }
  });

  it('answers a newer host version with FB01 and drops a host that does not speak FBnn', async () => {
    const { ports } = await servedFleet([{ serial: 'LSIM0001' }]);
    const newer = await Peer.open(ports[0] as number);
    newer.socket.write('FB02');
    expect(await newer.read(4)).toBe('FB01');
    newer.socket.destroy();
    for (const hello of ['GET / HTTP/1.1\r\n', 'FB00', 'FBxx']) {
      const peer = await Peer.open(ports[0] as number);
      peer.socket.write(hello);
      await peer.closed;
    }
  });

  it('FAILs an over-long command frame without buffering it, logs its first 65 bytes, and keeps the connection', async () => {
    const { sim, ports } = await servedFleet([{ serial: 'LSIM0001' }]);
    const peer = await Peer.handshaken(ports[0] as number);
    peer.frame(new Uint8Array(1024 * 1024).fill(0x41));
    expect(await peer.response()).toBe('FAILcommand longer than 64 bytes');
    expect(await peer.command('getvar:product')).toBe('OKAYlockstep-ref');
    expect((await readCommandLog(sim.stateDir, 'LSIM0001')).map((entry) => entry.command)).toEqual(['A'.repeat(65), 'getvar:product']);
    peer.socket.destroy();
  });

  it('drops the connection on a frame that overruns the download or declares an absurd length', async () => {
    const { ports } = await servedFleet([{ serial: 'LSIM0001' }]);
    const overrun = await Peer.handshaken(ports[0] as number);
    expect(await overrun.command('download:00000010')).toBe('DATA00000010');
    overrun.frame(new Uint8Array(32));
    await overrun.closed;
    const absurd = await Peer.handshaken(ports[0] as number);
    absurd.frame(new Uint8Array(0), 0xffff_ffff_ffff_ffffn);
    await absurd.closed;
    const after = await Peer.handshaken(ports[0] as number);
    expect(await after.command('getvar:product')).toBe('OKAYlockstep-ref');
    after.socket.destroy();
  });

  it('accepts download data spread over many frames', async () => {
    const { sim, ports } = await servedFleet([{ serial: 'LSIM0001' }]);
    const peer = await Peer.handshaken(ports[0] as number);
    expect(await peer.command('download:00003000')).toBe('DATA00003000');
    for (let index = 0; index < 3; index++) peer.frame(new Uint8Array(0x1000).fill(index + 1));
    expect(await peer.response()).toBe('OKAY');
    expect(await peer.command('flash:misc')).toBe('OKAY');
    const expected = Buffer.concat([1, 2, 3].map((value) => Buffer.alloc(0x1000, value)));
    const { createHash } = await import('node:crypto');
    expect(await sim.fleet.handsets[0]?.partitionSha256('misc', 0x3000)).toBe(createHash('sha256').update(expected).digest('hex'));
    peer.socket.destroy();
  });

  it('serves one connection at a time and queues the next, like a bootloader', async () => {
    const { ports } = await servedFleet([{ serial: 'LSIM0001' }]);
    const first = await Peer.handshaken(ports[0] as number);
    const second = await Peer.open(ports[0] as number);
    second.socket.write('FB01');
    let answered = false;
    const handshake = second.read(4).then((text) => {
      answered = true;
      return text;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(answered).toBe(false);
    first.socket.destroy();
    expect(await handshake).toBe('FB01');
    second.socket.destroy();
  });

  it('closes the connection after answering reboot, and refuses connections while off the bus', async () => {
    const { sim, ports } = await servedFleet([{ serial: 'LSIM0001' }]);
    const peer = await Peer.handshaken(ports[0] as number);
    expect(await peer.command('reboot')).toBe('OKAY');
    await peer.closed;
    const refused = await Peer.open(ports[0] as number);
    await refused.closed;
    sim.fleet.handsets[0]?.plugIn();
    const back = await Peer.handshaken(ports[0] as number);
    expect(await back.command('getvar:product')).toBe('OKAYlockstep-ref');
    back.socket.destroy();
  });

  it('drops the connection when a detach fault fires mid-download', async () => {
    const { ports } = await servedFleet([{ serial: 'LSIM0001', faults: [{ kind: 'detach', afterDownloadBytes: 1000, reattachAfterMs: null }] }]);
    const peer = await Peer.handshaken(ports[0] as number);
    expect(await peer.command('download:00002000')).toBe('DATA00002000');
    peer.frame(new Uint8Array(0x2000));
    await peer.closed;
  });
});
