import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastbootClient } from '../../../src/main/fastboot/client.ts';
import { MAX_DOWNLOAD_SIZE_CAP, DEFAULT_MAX_DOWNLOAD_SIZE } from '../../../src/main/fastboot/download-limit.ts';
import {
  DeviceDisconnectedError,
  FastbootCancelledError,
  FastbootConnectError,
  FastbootFailError,
  FastbootProtocolError,
  FastbootTimeoutError,
  FastbootUsageError,
} from '../../../src/main/fastboot/errors.ts';
import { connectTcp } from '../../../src/main/fastboot/tcp-transport.ts';
import { scriptedConnections, scriptedPeer, type Peer, type ScriptedPeer } from './scripted-peer.ts';

const connections = scriptedConnections();
afterEach(() => connections.release());

function connectTo(script: (peer: Peer) => Promise<void>, hello?: string): Promise<{ client: FastbootClient; peer: ScriptedPeer }> {
  return connections.connect(script, { hello });
}

async function expectCommand(peer: Peer, command: string): Promise<void> {
  expect((await peer.readFrame())?.toString('latin1')).toBe(command);
}

describe('fastboot client over TCP', () => {
  it('returns the OKAY value of getvar and collects INFO and TEXT lines, also through callbacks', async () => {
    const { client, peer } = await connectTo(async (device) => {
      await expectCommand(device, 'getvar:product');
      device.reply('INFOchecking');
      device.reply('TEXTpartial ');
      device.reply('OKAYlockstep-ref');
    });
    const seen: string[] = [];
    const result = await client.command('getvar:product', { onInfo: (line) => seen.push(`i:${line}`), onText: (line) => seen.push(`t:${line}`) });
    expect(result).toEqual({ value: 'lockstep-ref', info: ['checking'], text: ['partial '] });
    expect(seen).toEqual(['i:checking', 't:partial ']);
    await peer.done;
  });

  it('lists getvar:all as name/value pairs', async () => {
    const { client } = await connectTo(async (device) => {
      await expectCommand(device, 'getvar:all');
      for (const line of ['product:lockstep-ref', 'partition-size:system_a: 0x80000000', 'has-slot:boot:yes', 'no separator']) device.reply(`INFO${line}`);
      device.reply('OKAY');
    });
    const { variables, info } = await client.getvarAll();
    expect(variables).toEqual([
      { name: 'product', value: 'lockstep-ref' },
      { name: 'partition-size:system_a', value: '0x80000000' },
      { name: 'has-slot:boot', value: 'yes' },
    ]);
    expect(info).toHaveLength(4);
  });

  it('keeps colons inside getvar:all values: only the variable name (and its argument) is split off', async () => {
    const { client } = await connectTo(async (device) => {
      await expectCommand(device, 'getvar:all');
      for (const line of ['serialno:A:B', 'version-bootloader: LSBL: 1.4', 'partition-type:system_a:ext4:x', 'slot-retry-count:a: 3']) device.reply(`INFO${line}`);
      device.reply('OKAY');
    });
    expect((await client.getvarAll()).variables).toEqual([
      { name: 'serialno', value: 'A:B' },
      { name: 'version-bootloader', value: 'LSBL: 1.4' },
      { name: 'partition-type:system_a', value: 'ext4:x' },
      { name: 'slot-retry-count:a', value: '3' },
    ]);
  });

  it('hands the device FAIL text to the caller in a typed error naming device and command, and stays usable', async () => {
    const { client, peer } = await connectTo(async (device) => {
      await expectCommand(device, 'erase:misc');
      device.reply('FAILpartition is write-protected');
      await expectCommand(device, 'getvar:unlocked');
      device.reply('OKAYyes');
    });
    const failure = await client.erase('misc').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(FastbootFailError);
    expect(failure).toMatchObject({ reason: 'partition is write-protected', command: 'erase:misc', device: `tcp:127.0.0.1:${peer.port}` });
    expect((failure as Error).message).toBe(`tcp:127.0.0.1:${peer.port} 'erase:misc': the device refused: partition is write-protected`);
    expect(await client.getvar('unlocked')).toBe('yes');
    await peer.done;
  });

  it('refuses a command over 64 bytes or with control bytes before sending anything', async () => {
    const { client, peer } = await connectTo(async (device) => {
      // The first frame the device sees is the valid command that follows the refused ones.
      await expectCommand(device, `oem ${'x'.repeat(60)}`);
      device.reply('OKAY');
    });
    await expect(client.oem('y'.repeat(61))).rejects.toThrow(FastbootUsageError);
    await expect(client.oem('y'.repeat(61))).rejects.toThrow(/the command is 65 bytes; fastboot commands are at most 64; nothing was sent/);
    await expect(client.oem('fuse\nprog')).rejects.toThrow(/outside printable ASCII/);
    await expect(client.oem('x'.repeat(60))).resolves.toMatchObject({ value: '' });
    await peer.done;
  });

  it.each([
    ['an unknown response code', 'WHAT is this', /unknown response code 'WHAT'/],
    ['an over-long response', `INFO${'a'.repeat(100)}`, /104-byte response \(fastboot responses are at most 64 bytes\)/],
    ['a response too short for a code', 'OK', /2-byte response, too short/],
    ['DATA to a command without data', 'DATA00001000', /answered DATA00001000 to a command that sends no data/],
  ])('treats %s as a protocol error, closes the connection and names what the device did', async (_, answer, pattern) => {
    const { client, peer } = await connectTo(async (device) => {
      await expectCommand(device, 'getvar:product');
      device.reply(answer);
      expect(await device.readFrame()).toBeNull();
    });
    const failure = await client.getvar('product').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(FastbootProtocolError);
    expect((failure as Error).message).toMatch(pattern);
    expect((failure as Error).message).toContain(`tcp:127.0.0.1:${peer.port} 'getvar:product'`);
    await peer.done;
    await expect(client.getvar('product')).rejects.toThrow(DeviceDisconnectedError);
  });

  it('hands device text over raw, one character per byte, and escapes it in a FAIL reason', async () => {
    const hostile = Buffer.concat([Buffer.from('\x1b[31m=cmd|\x00\\'), Buffer.from('é')]);
    const { client } = await connectTo(async (device) => {
      await expectCommand(device, 'getvar:serialno');
      device.reply(Buffer.concat([Buffer.from('INFO'), hostile]));
      device.reply(Buffer.concat([Buffer.from('OKAY'), hostile]));
      await expectCommand(device, 'getvar:product');
      device.reply(Buffer.concat([Buffer.from('FAIL'), hostile]));
    });
    const result = await client.command('getvar:serialno');
    expect(result.value).toBe('\x1b[31m=cmd|\x00\\\xc3\xa9');
    expect(result.info).toEqual([result.value]);
    const failure = await client.getvar('product').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(FastbootFailError);
    expect((failure as FastbootFailError).reason).toBe('\\x1b[31m=cmd|\\x00\\x5c\\xc3\\xa9');
    expect((failure as Error).message).toMatch(/^[\x20-\x7e]*$/);
  });

  it('cuts off a device that floods INFO lines instead of answering', async () => {
    const { client } = await connectTo(async (device) => {
      await expectCommand(device, 'getvar:all');
      const frame = Buffer.from([0, 0, 0, 0, 0, 0, 0, 8, ...Buffer.from('INFOspam')]);
      device.raw(Buffer.concat(Array.from({ length: 100_001 }, () => frame)));
    });
    await expect(client.getvarAll()).rejects.toThrow(/sent more than 100000 INFO\/TEXT lines/);
  });

  it('refuses a frame announcing an absurd length without waiting for it', async () => {
    const { client } = await connectTo(async (device) => {
      await expectCommand(device, 'getvar:product');
      device.raw(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
    });
    await expect(client.getvar('product')).rejects.toThrow(/announced a 9223372036854775807-byte response frame/);
  });

  it('times out a silent device with a typed error and releases the connection', async () => {
    const { client, peer } = await connectTo(async (device) => {
      await expectCommand(device, 'getvar:product');
      expect(await device.readFrame()).toBeNull();
    });
    const failure = await client.getvar('product', { timeoutMs: 200 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(FastbootTimeoutError);
    expect((failure as Error).message).toMatch(/'getvar:product': no answer within 0\.2 s/);
    await peer.done;
  });

  it('reports a device that disconnects while waiting for an answer', async () => {
    const { client } = await connectTo(async (device) => {
      await expectCommand(device, 'reboot');
      device.socket.destroy();
    });
    await expect(client.reboot()).rejects.toThrow(DeviceDisconnectedError);
  });

  describe('download', () => {
    it('sends download:%08x, then exactly the data after DATA, reporting progress', async () => {
      const data = randomBytes(3 * 1024 * 1024 + 17);
      const { client, peer } = await connectTo(async (device) => {
        await expectCommand(device, 'download:00300011');
        device.reply('DATA00300011');
        const received: Buffer[] = [];
        let length = 0;
        while (length < data.length) {
          const frame = await device.readFrame();
          if (!frame) throw new Error('closed early');
          received.push(frame);
          length += frame.length;
        }
        expect(Buffer.concat(received).equals(data)).toBe(true);
        device.reply('OKAY');
      });
      const progress: number[] = [];
      async function* pieces(): AsyncGenerator<Uint8Array> {
        for (let at = 0; at < data.length; at += 300_000) yield data.subarray(at, at + 300_000);
      }
      await client.download(pieces(), data.length, { onProgress: (done, total) => progress.push(done / total) });
      expect(progress.at(-1)).toBe(1);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
      await peer.done;
    });

    it('refuses a DATA size other than the one asked for', async () => {
      const { client, peer } = await connectTo(async (device) => {
        await expectCommand(device, 'download:00001000');
        device.reply('DATA00000800');
        expect(await device.readFrame()).toBeNull();
      });
      await expect(client.download(new Uint8Array(4096), 4096)).rejects.toThrow(/answered DATA'00000800' instead of DATA00001000/);
      await peer.done;
    });

    it('surfaces a FAIL to download:, e.g. a too large size', async () => {
      const { client } = await connectTo(async (device) => {
        await expectCommand(device, 'download:00001000');
        device.reply('FAILdata too large');
      });
      await expect(client.download(new Uint8Array(4096), 4096)).rejects.toThrow(/the device refused: data too large/);
    });

    it('stops and closes when the source yields fewer or more bytes than announced', async () => {
      for (const actual of [1000, 5000]) {
        const { client } = await connectTo(async (device) => {
          await expectCommand(device, 'download:00001000');
          device.reply('DATA00001000');
          await device.readFrame();
        });
        await expect(client.download(new Uint8Array(actual), 4096)).rejects.toThrow(actual < 4096 ? /ended after 1000 of the 4096 bytes/ : /yields more than the 4096 bytes/);
        await expect(client.getvar('product')).rejects.toThrow(DeviceDisconnectedError);
      }
    });

    it('is cancelled by an AbortSignal in the middle of the data', async () => {
      const controller = new AbortController();
      const { client } = await connectTo(async (device) => {
        await expectCommand(device, 'download:00400000');
        device.reply('DATA00400000');
        await device.readFrame();
        controller.abort(new Error('operator pressed stop'));
        while (await device.readFrame());
      });
      async function* slow(): AsyncGenerator<Uint8Array> {
        for (let i = 0; i < 4; i++) {
          yield new Uint8Array(1024 * 1024);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      await expect(client.download(slow(), 4 * 1024 * 1024, { signal: controller.signal })).rejects.toThrow(FastbootCancelledError);
    });

    it('reports a device that disconnects in the middle of the data', async () => {
      const { client } = await connectTo(async (device) => {
        await expectCommand(device, 'download:01000000');
        device.reply('DATA01000000');
        await device.readFrame();
        device.socket.destroy();
      });
      async function* paced(): AsyncGenerator<Uint8Array> {
        for (let i = 0; i < 16; i++) {
          yield new Uint8Array(1024 * 1024);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }
      await expect(client.download(paced(), 16 * 1024 * 1024)).rejects.toThrow(DeviceDisconnectedError);
    });

    it('refuses an impossible size before sending', async () => {
      const { client } = await connectTo(async () => undefined);
      await expect(client.download(new Uint8Array(0), 0)).rejects.toThrow(FastbootUsageError);
      await expect(client.download(new Uint8Array(0), 2 ** 32)).rejects.toThrow(/1 to 4294967295 bytes/);
    });
  });

  describe('max-download-size', () => {
    it.each([
      ['0x10000000', 0x10000000],
      ['268435456', 268435456],
      ['0xF0000000', MAX_DOWNLOAD_SIZE_CAP],
    ])('reads %s as %i bytes (clamped to the cap)', async (reported, bytes) => {
      const { client } = await connectTo(async (device) => {
        await expectCommand(device, 'getvar:max-download-size');
        device.reply(`OKAY${reported}`);
      });
      expect(await client.maxDownloadSize()).toBe(bytes);
    });

    it('uses the default when the device does not know the variable', async () => {
      const { client } = await connectTo(async (device) => {
        await expectCommand(device, 'getvar:max-download-size');
        device.reply('FAILunknown variable');
      });
      expect(await client.maxDownloadSize()).toBe(DEFAULT_MAX_DOWNLOAD_SIZE);
    });

    it.each([
      ['0', /max-download-size 0 bytes, below/],
      ['lots', /answered 'lots' where a size was due.*out of step with the station's commands/],
      ['', /answered an empty OKAY where a size was due.*a late or repeated answer to an earlier command/],
      ['0x1000000000', /more than download:%08x can ever request/],
    ])('refuses %s with a clear error', async (reported, pattern) => {
      const { client } = await connectTo(async (device) => {
        await expectCommand(device, 'getvar:max-download-size');
        device.reply(`OKAY${reported}`);
      });
      await expect(client.maxDownloadSize()).rejects.toThrow(pattern);
    });
  });

  describe('TCP handshake', () => {
    it('refuses a peer that does not answer FBnn', async () => {
      const peer = await scriptedPeer(async () => undefined, 'HTTP');
      connections.track(peer);
      await expect(connectTcp('127.0.0.1', peer.port)).rejects.toThrow(/answered the FB01 handshake with 'HTTP'/);
    });

    it('refuses a protocol version older than 1', async () => {
      const peer = await scriptedPeer(async () => undefined, 'FB00');
      connections.track(peer);
      await expect(connectTcp('127.0.0.1', peer.port)).rejects.toThrow(/offers TCP protocol version '00'/);
    });

    it.each(['FB 1', 'FB+1', 'FB1.', 'FB1 '])('refuses a version that is not two digits (%s)', async (hello) => {
      const peer = await scriptedPeer(async () => undefined, hello);
      connections.track(peer);
      await expect(connectTcp('127.0.0.1', peer.port)).rejects.toThrow(/offers TCP protocol version/);
    });

    it('accepts a newer protocol version', async () => {
      const { client } = await connectTo(async (device) => {
        await expectCommand(device, 'getvar:version');
        device.reply('OKAY0.4');
      }, 'FB02');
      expect(await client.getvar('version')).toBe('0.4');
    });

    it('names the address when nothing listens there', async () => {
      const peer = await scriptedPeer(async () => undefined);
      const port = peer.port;
      await peer.close();
      await expect(connectTcp('127.0.0.1', port)).rejects.toThrow(FastbootConnectError);
      await expect(connectTcp('127.0.0.1', port)).rejects.toThrow(new RegExp(`tcp:127.0.0.1:${port}: could not connect \\(.*ECONNREFUSED`));
    });
  });
});
