import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DownloadBuffer } from '../../../src/sim/download-buffer.ts';

const MiB = 1024 * 1024;
const folders: string[] = [];
const buffers: DownloadBuffer[] = [];

function buffer(capacity = 64 * MiB): { download: DownloadBuffer; path: string } {
  const folder = mkdtempSync(join(tmpdir(), 'lockstep-download-buffer-'));
  folders.push(folder);
  const path = join(folder, 'download.bin');
  const download = new DownloadBuffer(path, capacity);
  buffers.push(download);
  return { download, path };
}

afterEach(async () => {
  for (const download of buffers.splice(0)) await download.dispose();
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

async function arrive(download: DownloadBuffer, data: Uint8Array, linkPiece = 64 * 1024 - 5): Promise<void> {
  await download.begin(data.length);
  for (let at = 0; at < data.length; at += linkPiece) await download.append(data.subarray(at, at + linkPiece));
}

async function content(download: DownloadBuffer): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for await (const piece of download.content()) pieces.push(Buffer.from(piece));
  return Buffer.concat(pieces);
}

describe('the simulated download buffer', () => {
  it('gives back exactly what arrived, with runs of zeros kept as holes in its file', async () => {
    const { download, path } = buffer();
    // Data, 20 MiB of zeros, data straddling a 1 MiB boundary, and trailing zeros.
    const data = Buffer.concat([randomBytes(100_000), Buffer.alloc(20 * MiB), randomBytes(MiB + 3), Buffer.alloc(5 * MiB + 17)]);
    await arrive(download, data);
    expect(download.size).toBe(data.length);
    expect((await content(download)).equals(data)).toBe(true);
    expect(Buffer.from(await download.head(4)).equals(data.subarray(0, 4))).toBe(true);
    const file = statSync(path);
    expect(file.size).toBe(data.length);
    // Allocated blocks cover the data (with its 64 KiB grain), not the 25 MiB of zeros.
    expect(file.blocks * 512).toBeLessThan(4 * MiB);
  });

  it('forgets the previous download, holes included, when the next begins', async () => {
    const { download } = buffer();
    await arrive(download, randomBytes(3 * MiB));
    const second = Buffer.concat([Buffer.alloc(2 * MiB), randomBytes(1000)]);
    await arrive(download, second);
    expect((await content(download)).equals(second)).toBe(true);
    await download.clear();
    expect(download.size).toBe(0);
  });

  it('holds a download of nothing but zeros', async () => {
    const { download } = buffer();
    const data = Buffer.alloc(3 * MiB + 1);
    await arrive(download, data, MiB);
    expect((await content(download)).equals(data)).toBe(true);
  });
});
