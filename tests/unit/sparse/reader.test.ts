import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHUNK_TYPE, isSparseImage, readSparse, SPARSE_HEADER_MAGIC, SparseFormatError, type SparseEvent } from '../../../src/lib/sparse/reader.ts';

const work = mkdtempSync(join(tmpdir(), 'lockstep-sparse-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function header(blockSize: number, totalBlocks: number, totalChunks: number): Buffer {
  const bytes = Buffer.alloc(28);
  bytes.writeUInt32LE(SPARSE_HEADER_MAGIC, 0);
  bytes.writeUInt16LE(1, 4);
  bytes.writeUInt16LE(0, 6);
  bytes.writeUInt16LE(28, 8);
  bytes.writeUInt16LE(12, 10);
  bytes.writeUInt32LE(blockSize, 12);
  bytes.writeUInt32LE(totalBlocks, 16);
  bytes.writeUInt32LE(totalChunks, 20);
  return bytes;
}

function chunk(type: number, blocks: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16LE(type, 0);
  head.writeUInt32LE(blocks, 4);
  head.writeUInt32LE(12 + payload.length, 8);
  return Buffer.concat([head, payload]);
}

/** Feeds the reader in awkward pieces so that headers straddle source chunks. */
async function* pieces(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

async function expand(source: AsyncIterable<Uint8Array>): Promise<{ image: Buffer; events: SparseEvent['type'][] }> {
  let image = Buffer.alloc(0);
  const events: SparseEvent['type'][] = [];
  for await (const event of readSparse(source)) {
    events.push(event.type);
    if (event.type === 'header') image = Buffer.alloc(event.header.totalBlocks * event.header.blockSize);
    if (event.type === 'raw') Buffer.from(event.data).copy(image, event.offset);
    if (event.type === 'fill') for (let i = 0; i < event.length; i += 4) Buffer.from(event.pattern).copy(image, event.offset + i);
  }
  return { image, events };
}

describe('sparse reader', () => {
  const raw = randomBytes(8192);
  const image = Buffer.concat([
    header(4096, 5, 4),
    chunk(CHUNK_TYPE.RAW, 2, raw),
    chunk(CHUNK_TYPE.FILL, 1, Buffer.from([0xde, 0xad, 0xbe, 0xef])),
    chunk(CHUNK_TYPE.DONT_CARE, 2, Buffer.alloc(0)),
    chunk(CHUNK_TYPE.CRC32, 0, Buffer.from([1, 2, 3, 4])),
  ]);

  it('expands RAW, FILL, DONT_CARE (as zeros) and passes CRC32 on, whatever the source chunking', async () => {
    for (const size of [1, 7, 13, 4096, image.length]) {
      const { image: expanded, events } = await expand(pieces(image, size));
      expect(expanded.subarray(0, 8192).equals(raw)).toBe(true);
      expect(expanded.subarray(8192, 12288).equals(Buffer.alloc(4096, Buffer.from([0xde, 0xad, 0xbe, 0xef])))).toBe(true);
      expect(expanded.subarray(12288).equals(Buffer.alloc(8192))).toBe(true);
      expect(events[0]).toBe('header');
      expect(events.at(-1)).toBe('crc32');
    }
    expect(isSparseImage(image)).toBe(true);
    expect(isSparseImage(raw.fill(0, 0, 4))).toBe(false);
  });

  it.each([
    ['bad magic', Buffer.concat([Buffer.alloc(4), image.subarray(4)]), 0, /bad magic/],
    ['a truncated RAW chunk', image.subarray(0, 28 + 12 + 100), 140, /ends inside chunk 0's data/],
    ['chunks past the declared blocks', Buffer.concat([header(4096, 1, 1), chunk(CHUNK_TYPE.DONT_CARE, 2, Buffer.alloc(0))]), 28, /past the image's 1 blocks/],
    ['chunks that fall short of the declared blocks', Buffer.concat([header(4096, 3, 1), chunk(CHUNK_TYPE.DONT_CARE, 2, Buffer.alloc(0))]), 40, /cover 2 blocks but the header declares 3/],
    ['a RAW size that disagrees with its blocks', Buffer.concat([header(4096, 1, 1), chunk(CHUNK_TYPE.RAW, 1, Buffer.alloc(100))]), 28, /RAW chunk 0 declares 112 bytes, expected 4108/],
    ['an unknown chunk type', Buffer.concat([header(4096, 1, 1), chunk(0xcac9, 1, Buffer.alloc(0))]), 28, /unknown type 0xcac9/],
    ['trailing garbage', Buffer.concat([image, Buffer.from('x')]), image.length, /trailing bytes/],
    ['a zero block size', Buffer.concat([header(0, 1, 0)]), 12, /block size 0/],
    ['an expanded size beyond exact arithmetic', header(64 * 1024 * 1024, 0xffff_ffff, 0), 16, /expands to more than/],
  ])('rejects %s with the offset and reason', async (_name, bytes, offset, message) => {
    const error = await expand(pieces(bytes, 64)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SparseFormatError);
    expect((error as SparseFormatError).offset).toBe(offset);
    expect((error as SparseFormatError).message).toMatch(message);
  });

  it('closes its source when the image is malformed or the consumer stops early', async () => {
    let closed = 0;
    async function* tracked(bytes: Buffer): AsyncGenerator<Uint8Array> {
      try {
        yield* pieces(bytes, 16);
      } finally {
        closed += 1;
      }
    }
    await expect(expand(tracked(Buffer.concat([header(4096, 1, 1), chunk(0xcac9, 1, Buffer.alloc(0))])))).rejects.toThrow(SparseFormatError);
    for await (const event of readSparse(tracked(image))) if (event.type === 'header') break;
    expect(closed).toBe(2);
  });

  it('passes on the error of a failing source instead of calling the file short', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield image.subarray(0, 20);
      throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
    }
    await expect(expand(failing())).rejects.toThrow('EIO: i/o error, read');
  });

  it("expands what AOSP's img2simg writes to exactly the original image", async () => {
    const original = Buffer.concat([randomBytes(3 * 4096), Buffer.alloc(64 * 4096), Buffer.alloc(8 * 4096, 0x5a), randomBytes(4096)]);
    const rawPath = join(work, 'original.img');
    const sparsePath = join(work, 'original.simg');
    writeFileSync(rawPath, original);
    execFileSync('img2simg', [rawPath, sparsePath]);
    const { image: expanded, events } = await expand(createReadStream(sparsePath, { highWaterMark: 1000 }));
    expect(createHash('sha256').update(expanded).digest('hex')).toBe(createHash('sha256').update(original).digest('hex'));
    expect(events).toContain('fill');
  });
});
