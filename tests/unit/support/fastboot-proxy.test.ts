// The test proxy itself: its framing (handshake, packets, download data cut anywhere) and each rule
// kind, between a raw fastboot-over-TCP host written from the protocol and simulated handsets served
// on TCP in this process. What reached a handset is read from its own command log.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSimFleet, parseScenario, readCommandLog, type SimFleet } from '../../../src/sim/index.ts';
import { serveTcp, type TcpEndpoint } from '../../../src/sim/tcp-server.ts';
import { frame, FrameParser, MAX_PACKET_BYTES, type FramePiece } from '../../support/fastboot-frames.ts';
import { FastbootProxy, type ProxyRule } from '../../support/fastboot-proxy.ts';

describe('FrameParser', () => {
  const collect = (parser: FrameParser, bytes: Buffer, cut: number): FramePiece[] => {
    const pieces: FramePiece[] = [];
    for (let at = 0; at < bytes.length; at += cut) pieces.push(...parser.push(bytes.subarray(at, at + cut)));
    return pieces;
  };
  const packets = (pieces: FramePiece[]): string[] => pieces.flatMap((piece) => (piece.kind === 'packet' ? [piece.payload.toString('latin1')] : []));

  it('splits the handshake and packets however the bytes are cut', () => {
    const stream = Buffer.concat([Buffer.from('FB01'), frame('getvar:product'), frame(''), frame('oem fuse read 3 0')]);
    for (const cut of [1, 3, 7, 9, 1000]) {
      const pieces = collect(new FrameParser(), stream, cut);
      expect(Buffer.concat(pieces.filter((piece) => piece.kind === 'handshake').map((piece) => piece.bytes)).toString()).toBe('FB01');
      expect(packets(pieces)).toEqual(['getvar:product', '', 'oem fuse read 3 0']);
    }
  });

  it('passes download data through raw, byte for byte, and parses the next command after it', () => {
    let awaiting = 10;
    const parser = new FrameParser({ handshake: false, awaitingData: () => awaiting, onData: (bytes) => (awaiting -= bytes) });
    const data = Buffer.concat([frame(Buffer.from('0123')), frame(Buffer.from('456789'))]);
    const stream = Buffer.concat([data, frame('flash:boot')]);
    const pieces = collect(parser, stream, 5);
    expect(Buffer.concat(pieces.filter((piece) => piece.kind === 'raw').map((piece) => piece.bytes))).toEqual(data);
    expect(packets(pieces)).toEqual(['flash:boot']);
    expect(awaiting).toBe(0);
  });

  it('passes an over-long packet through raw instead of buffering it', () => {
    const long = Buffer.alloc(MAX_PACKET_BYTES + 1, 0x41);
    const pieces = new FrameParser({ handshake: false }).push(Buffer.concat([frame(long), frame('OKAY')]));
    expect(pieces.filter((piece) => piece.kind === 'raw').reduce((sum, piece) => sum + (piece.kind === 'raw' ? piece.bytes.length : 0), 0)).toBe(long.length + 8);
    expect(packets(pieces)).toEqual(['OKAY']);
  });
});

/** A fastboot-over-TCP host from the protocol: one connection, one command at a time. */
class RawHost {
  readonly #socket: Socket;
  readonly #parser = new FrameParser();
  readonly #packets: string[] = [];
  #closed = false;
  #wake: (() => void) | null = null;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      for (const piece of this.#parser.push(chunk)) if (piece.kind === 'packet') this.#packets.push(piece.payload.toString('latin1'));
      this.#wake?.();
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#wake?.();
    });
    socket.on('error', () => undefined);
  }

  static async connect(port: number): Promise<RawHost> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.write('FB01');
    return new RawHost(socket);
  }

  /** The next packet, or null once the connection is closed; waits at most `timeoutMs`, then 'timeout'. */
  async next(timeoutMs = 5000): Promise<string | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.#packets.length === 0) {
      if (this.#closed) return null;
      const left = deadline - Date.now();
      if (left <= 0) return 'timeout';
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.#packets.shift() as string;
  }

  /** Sends a command and collects packets up to its OKAY, FAIL or DATA (null: the link closed first). */
  async command(command: string): Promise<{ info: string[]; final: string | null }> {
    this.#socket.write(frame(command));
    const info: string[] = [];
    for (;;) {
      const packet = await this.next();
      if (packet === null || packet === 'timeout' || !packet.startsWith('INFO')) return { info, final: packet };
      info.push(packet.slice(4));
    }
  }

  send(bytes: Buffer): void {
    this.#socket.write(bytes);
  }

  close(): void {
    this.#socket.destroy();
  }
}

interface Rig {
  readonly fleet: SimFleet;
  readonly endpoints: TcpEndpoint[];
  readonly proxy: FastbootProxy;
  fastboot(serial: string): Promise<string[]>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function rig(rules: (ports: number[]) => ProxyRule[], serials = ['LSIM0001']): Promise<Rig> {
  const stateDir = mkdtempSync(join(tmpdir(), 'lockstep-proxy-'));
  const fleet = await createSimFleet({
    scenario: parseScenario({ timing: { linkBytesPerSecond: 0, flashBytesPerSecond: 0, rebootMs: 50 }, devices: serials.map((serial) => ({ serial })) }),
    stateDir,
  });
  const endpoints = await Promise.all(fleet.handsets.map((handset) => serveTcp(handset, 0)));
  const proxy = await FastbootProxy.start({ port: (endpoints[0] as TcpEndpoint).port }, rules(endpoints.map((endpoint) => endpoint.port)));
  cleanups.push(async () => {
    await proxy.close();
    for (const endpoint of endpoints) await endpoint.close();
    await fleet.close();
    rmSync(stateDir, { recursive: true, force: true });
  });
  return {
    fleet,
    endpoints,
    proxy,
    fastboot: async (serial) => (await readCommandLog(stateDir, serial)).filter((entry) => entry.channel === 'fastboot').map((entry) => entry.command),
  };
}

describe('FastbootProxy', () => {
  it('forwards a session unchanged: handshake, commands, a download in two frames and the flash', async () => {
    const { proxy, fastboot, fleet } = await rig(() => []);
    const host = await RawHost.connect(proxy.port);
    expect(await host.command('getvar:product')).toEqual({ info: [], final: 'OKAYlockstep-ref' });
    const image = Buffer.alloc(8192, 7);
    expect((await host.command('download:00002000')).final).toBe('DATA00002000');
    host.send(Buffer.concat([frame(image.subarray(0, 3000)), frame(image.subarray(3000))]));
    expect(await host.next()).toBe('OKAY');
    expect((await host.command('flash:boot_a')).final).toBe('OKAY');
    host.close();
    expect(await fastboot('LSIM0001')).toEqual(['getvar:product', 'download:00002000', 'flash:boot_a']);
    const handset = fleet.handsets[0];
    expect(await handset?.partitionSha256('boot_a', 8192)).toBe((await import('node:crypto')).createHash('sha256').update(image).digest('hex'));
    expect(proxy.seen.map((packet) => `${packet.direction} ${packet.text} ${packet.fate}`)).toContain('response DATA00002000 forwarded');
  });

  it('reset: the command reaches the handset and takes effect, its OKAY never reaches the host', async () => {
    const { proxy, fastboot, fleet } = await rig(() => [{ on: 'response', answering: 'oem fuse prog', match: 'OKAY', action: { kind: 'reset' } }]);
    const host = await RawHost.connect(proxy.port);
    expect(await host.command('oem fuse prog 3 0 0x30')).toEqual({ info: [], final: null });
    expect((fleet.handsets[0]?.fuseWord(3, 0) ?? 0) & 0x30).toBe(0x30);
    // The endpoint still answers: a new connection gets through, and the rule has fired its one time.
    const again = await RawHost.connect(proxy.port);
    expect(await again.command('oem fuse read 3 0')).toEqual({ info: ['0x00000031'], final: 'OKAY' });
    again.close();
    expect(await fastboot('LSIM0001')).toEqual(['oem fuse prog 3 0 0x30', 'oem fuse read 3 0']);
    expect(proxy.rulesLeft).toEqual([0]);
  });

  it('rewrite: lies in the answer to one command only', async () => {
    const { proxy } = await rig(() => [
      { on: 'response', answering: 'oem fuse read 3 0', match: 'INFO', action: { kind: 'rewrite', to: 'INFO0x00000001' }, times: 'always' },
      { on: 'response', answering: 'getvar:unlocked', match: 'OKAY', action: { kind: 'rewrite', to: 'OKAYno' } },
    ]);
    const host = await RawHost.connect(proxy.port);
    await host.command('oem fuse prog 3 0 0x30');
    expect(await host.command('oem fuse read 3 0')).toEqual({ info: ['0x00000001'], final: 'OKAY' });
    expect(await host.command('getvar:unlocked')).toEqual({ info: [], final: 'OKAYno' });
    expect(await host.command('getvar:unlocked')).toEqual({ info: [], final: 'OKAYyes' });
    host.close();
  });

  it('skip: lets the first matching packets through and fires on the next', async () => {
    const { proxy } = await rig(() => [{ on: 'response', answering: 'getvar:unlocked', match: 'OKAY', skip: 1, action: { kind: 'rewrite', to: 'OKAYno' } }]);
    const host = await RawHost.connect(proxy.port);
    expect(await host.command('getvar:unlocked')).toEqual({ info: [], final: 'OKAYyes' });
    expect(await host.command('getvar:unlocked')).toEqual({ info: [], final: 'OKAYno' });
    expect(await host.command('getvar:unlocked')).toEqual({ info: [], final: 'OKAYyes' });
    expect(proxy.rulesLeft).toEqual([0]);
    host.close();
  });

  it('repoint: from the matching command on, the link and every later connection go to the other handset', async () => {
    const { proxy, fastboot } = await rig((ports) => [{ on: 'command', match: 'oem fuse read', action: { kind: 'repoint', to: { port: ports[1] as number } } }], ['FIRST001', 'SECOND01']);
    const host = await RawHost.connect(proxy.port);
    expect((await host.command('getvar:serialno')).final).toBe('OKAYFIRST001');
    expect((await host.command('oem fuse read 3 0')).final).toBe('OKAY');
    expect((await host.command('getvar:serialno')).final).toBe('OKAYSECOND01');
    host.close();
    const later = await RawHost.connect(proxy.port);
    expect((await later.command('getvar:serialno')).final).toBe('OKAYSECOND01');
    later.close();
    expect(await fastboot('FIRST001')).toEqual(['getvar:serialno']);
    expect(await fastboot('SECOND01')).toEqual(['oem fuse read 3 0', 'getvar:serialno', 'getvar:serialno']);
  });

  it('drip: forwards the command, then sends INFO again and again and never the handset’s OKAY', async () => {
    const { proxy, fastboot } = await rig(() => [{ on: 'command', match: 'getvar:product', action: { kind: 'drip', everyMs: 20, text: 'still writing' } }]);
    const host = await RawHost.connect(proxy.port);
    host.send(frame('getvar:product'));
    const seen = [await host.next(), await host.next(), await host.next()];
    expect(seen).toEqual(['INFOstill writing', 'INFOstill writing', 'INFOstill writing']);
    host.close();
    expect(await fastboot('LSIM0001')).toEqual(['getvar:product']);
  });

  it('stall: swallows the command and everything after it; the handset never hears it', async () => {
    const { proxy, fastboot } = await rig(() => [{ on: 'command', match: 'flash:', action: { kind: 'stall' } }]);
    const host = await RawHost.connect(proxy.port);
    host.send(frame('flash:boot_a'));
    expect(await host.next(300)).toBe('timeout');
    host.close();
    expect(await fastboot('LSIM0001')).toEqual([]);
  });

  it('hold: stops at the packet until the test releases it, or closes the link so it never arrives', async () => {
    const { proxy, fastboot } = await rig(() => [
      { on: 'command', match: 'oem fuse prog', action: { kind: 'hold' } },
      { on: 'response', answering: 'flashing lock', match: 'OKAY', action: { kind: 'hold' } },
    ]);
    const host = await RawHost.connect(proxy.port);
    host.send(frame('oem fuse prog 3 0 0x10'));
    const held = await proxy.nextHold();
    expect(held).toMatchObject({ direction: 'command', text: 'oem fuse prog 3 0 0x10' });
    expect(await fastboot('LSIM0001')).toEqual([]);
    held.release();
    expect(await host.next()).toBe('OKAY');
    host.send(frame('flashing lock'));
    const answer = await proxy.nextHold();
    expect(answer).toMatchObject({ direction: 'response', text: 'OKAY' });
    answer.close();
    expect(await host.next()).toBeNull();
    expect(await fastboot('LSIM0001')).toEqual(['oem fuse prog 3 0 0x10', 'flashing lock']);
  });
});
