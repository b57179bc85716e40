import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FastbootClient } from '../../../src/main/fastboot/client.ts';
import { FastbootUsageError, FlashCheckError, FlashImageError } from '../../../src/main/fastboot/errors.ts';
import { flashImage, type FlashProgress } from '../../../src/main/fastboot/flash-image.ts';
import { connectTcp } from '../../../src/main/fastboot/tcp-transport.ts';
import { scriptedPeer, type ScriptedPeer } from './scripted-peer.ts';

const work = mkdtempSync(join(tmpdir(), 'lockstep-flash-'));
const peers: ScriptedPeer[] = [];
const clients: FastbootClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(peers.splice(0).map((peer) => peer.close()));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Accepts every download and answers OKAY to everything else, recording what it was sent. */
async function recordingDevice(maxDownload: string): Promise<{ client: FastbootClient; commands: string[]; downloads: number[] }> {
  const commands: string[] = [];
  const downloads: number[] = [];
  const peer = await scriptedPeer(async (device) => {
    for (let frame = await device.readFrame(); frame !== null; frame = await device.readFrame()) {
      const command = frame.toString('latin1');
      commands.push(command);
      if (command === 'getvar:max-download-size') {
        device.reply(`OKAY${maxDownload}`);
      } else if (command.startsWith('download:')) {
        const size = Number.parseInt(command.slice(9), 16);
        device.reply(`DATA${command.slice(9)}`);
        for (let received = 0; received < size; ) received += (await device.readFrame())?.length ?? size;
        downloads.push(size);
        device.reply('OKAY');
      } else {
        device.reply('OKAY');
      }
    }
  });
  peers.push(peer);
  const client = new FastbootClient(await connectTcp('127.0.0.1', peer.port));
  clients.push(client);
  return { client, commands, downloads };
}

describe('flashImage', () => {
  const raw = randomBytes(3 * 1024 * 1024);
  const file = join(work, 'boot.img');
  writeFileSync(file, raw);

  it('splits to the device max-download-size and sends download then flash per piece, with progress', async () => {
    const { client, commands, downloads } = await recordingDevice('0x100000');
    const progress: FlashProgress[] = [];
    const result = await flashImage(client, 'boot_a', file, { onProgress: (update) => progress.push(update) });
    expect(result).toMatchObject({ partition: 'boot_a', pieces: 4, imageBytes: raw.length });
    expect(commands.filter((command) => !command.startsWith('download:'))).toEqual(['getvar:max-download-size', 'flash:boot_a', 'flash:boot_a', 'flash:boot_a', 'flash:boot_a']);
    for (const size of downloads) expect(size).toBeLessThanOrEqual(0x100000);
    expect(progress.filter((update) => update.phase === 'flash').map((update) => update.piece)).toEqual([1, 2, 3, 4]);
    expect(progress.at(-1)).toMatchObject({ imageBytesRead: raw.length, imageBytes: raw.length });
  });

  it('runs the caller\'s check after each download and before its flash; a failed check sends no flash', async () => {
    const { client, commands } = await recordingDevice('0x100000');
    const checked: string[] = [];
    const failure = await flashImage(client, 'boot_a', file, {
      checkPiece: (piece) => {
        checked.push(`${piece.piece}:${piece.last}:${commands.at(-1)?.slice(0, 9)}`);
        if (piece.piece === 2) throw new Error('image hash does not match the manifest');
      },
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(FlashCheckError);
    expect((failure as Error).message).toMatch(/'flash:boot_a': piece 2 failed its check before flashing \(image hash does not match the manifest\); it was not flashed/);
    expect(checked).toEqual(['1:false:download:', '2:false:download:']);
    expect(commands.filter((command) => command === 'flash:boot_a')).toHaveLength(1);
    expect(commands.at(-1)?.startsWith('download:')).toBe(true);
  });

  it('shows every byte it reads to onImageBytes before the last piece is checked', async () => {
    const { client } = await recordingDevice('0x100000');
    let seen = 0;
    let seenAtLastCheck = 0;
    await flashImage(client, 'boot_a', file, { onImageBytes: (bytes) => (seen += bytes.length), checkPiece: (piece) => void (piece.last && (seenAtLastCheck = seen)) });
    expect(seenAtLastCheck).toBe(raw.length);
  });

  it('refuses a bad partition name or a missing file before downloading anything', async () => {
    const { client, commands } = await recordingDevice('0x100000');
    await expect(flashImage(client, 'boot_a;reboot', file)).rejects.toThrow(FastbootUsageError);
    await expect(flashImage(client, 'boot_a', join(work, 'missing.img'))).rejects.toThrow(FlashImageError);
    await expect(flashImage(client, 'boot_a', join(work, 'missing.img'))).rejects.toThrow(/cannot read the image .*missing\.img: ENOENT/);
    expect(commands).toEqual([]);
  });

  it("leaves a fault of the flashing's own as it is: a bug is not reported as an unreadable image", async () => {
    const { client } = await recordingDevice('0x100000');
    const bug = new TypeError("Cannot read properties of undefined (reading 'length')");
    const failure = await flashImage(client, 'boot_a', file, {
      onProgress: (update) => {
        if (update.phase === 'flash') throw bug;
      },
    }).catch((error: unknown) => error);
    expect(failure).toBe(bug);
  });
});
