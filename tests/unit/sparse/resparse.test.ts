import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expandedDigest } from '../../../src/main/bundle/sparse-digest.ts';
import { CHUNK_TYPE, readSparse, SparseFormatError } from '../../../src/lib/sparse/reader.ts';
import { MAX_RAW_CHUNK_BYTES, measureResparse, ResparseChangedError, resparsedImage, type ResparseOptions } from '../../../src/lib/sparse/resparse.ts';
import { splitImage } from '../../../src/lib/sparse/split.ts';
import { encodeChunk, encodeSparseHeader } from '../../../src/lib/sparse/writer.ts';
import { requireTools } from '../../support/tools.ts';

const work = mkdtempSync(join(tmpdir(), 'lockstep-resparse-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const BLOCK = 4096;
const RAW = { sparse: false } as const;

/** The bytes in reads of `size` (an odd size, so blocks straddle reads). */
async function* inReads(bytes: Uint8Array, size = 1000): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

async function resparse(bytes: Uint8Array, options: ResparseOptions = RAW, read = 1000): Promise<Buffer> {
  const layout = await measureResparse(inReads(bytes, read), options);
  const parts: Uint8Array[] = [];
  for await (const part of resparsedImage(inReads(bytes, read), layout, options)) parts.push(part);
  const file = Buffer.concat(parts);
  expect(file.length).toBe(layout.size);
  return file;
}

type Chunk = { type: 'raw' | 'fill' | 'dont-care'; blocks: number; pattern?: string };

/** The chunks of a sparse file as its chunk headers state them (the file is checked by readSparse first). */
async function chunksOf(file: Buffer): Promise<Chunk[]> {
  for await (const event of readSparse(inReads(file))) void event;
  const names = { [CHUNK_TYPE.RAW]: 'raw', [CHUNK_TYPE.FILL]: 'fill', [CHUNK_TYPE.DONT_CARE]: 'dont-care' } as const;
  const chunks: Chunk[] = [];
  for (let at = 28; at < file.length; at += file.readUInt32LE(at + 8)) {
    const type = names[file.readUInt16LE(at) as keyof typeof names];
    const blocks = file.readUInt32LE(at + 4);
    chunks.push(type === 'fill' ? { type, blocks, pattern: file.subarray(at + 12, at + 16).toString('hex') } : { type, blocks });
  }
  return chunks;
}

async function expand(file: Uint8Array): Promise<Buffer> {
  const out: Buffer[] = [];
  let size = 0;
  for await (const event of readSparse(inReads(file, 1 << 20))) {
    if (event.type === 'header') size = event.header.totalBlocks * event.header.blockSize;
    if (event.type === 'raw') out.push(Buffer.from(event.data));
    if (event.type === 'fill') out.push(Buffer.alloc(event.length, event.pattern));
    if (event.type === 'dont-care') out.push(Buffer.alloc(event.length));
  }
  const expanded = Buffer.concat(out);
  expect(expanded.length).toBe(size);
  return expanded;
}

const padded = (bytes: Buffer): Buffer => Buffer.concat([bytes, Buffer.alloc((BLOCK - (bytes.length % BLOCK)) % BLOCK)]);
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const repeated = (hex: string, length: number): Buffer => Buffer.alloc(length, Buffer.from(hex, 'hex'));

describe('re-sparsing a raw image', () => {
  it('makes a FILL of exactly the whole blocks that repeat one value, never of a run that covers part of a block', async () => {
    const image = Buffer.concat([
      randomBytes(BLOCK),
      Buffer.alloc(2 * BLOCK),
      // Zeros from the middle of this block to the middle of the one after next: only the block between is constant.
      randomBytes(BLOCK / 2),
      Buffer.alloc(2 * BLOCK),
      randomBytes(BLOCK / 2),
      // Constant but for its very last byte, then constant but for its first: both data.
      Buffer.concat([Buffer.alloc(BLOCK - 1), Buffer.of(1)]),
      Buffer.concat([Buffer.of(1), Buffer.alloc(BLOCK - 1)]),
      Buffer.alloc(BLOCK),
    ]);
    const file = await resparse(image);
    expect(await chunksOf(file)).toEqual([
      { type: 'raw', blocks: 1 },
      { type: 'fill', blocks: 2, pattern: '00000000' },
      { type: 'raw', blocks: 1 },
      { type: 'fill', blocks: 1, pattern: '00000000' },
      { type: 'raw', blocks: 3 },
      { type: 'fill', blocks: 1, pattern: '00000000' },
    ]);
    expect((await expand(file)).equals(image)).toBe(true);
  });

  it('fills with a 32-bit value that is not zero, keeps different values apart and leaves longer periods as data', async () => {
    const image = Buffer.concat([
      repeated('78563412', 3 * BLOCK),
      repeated('01020304', BLOCK),
      // A 16-bit period is a 32-bit one too.
      repeated('abcd', BLOCK),
      // An 8-byte period is not.
      repeated('0102030405060708', BLOCK),
      repeated('78563412', BLOCK),
    ]);
    const file = await resparse(image);
    expect(await chunksOf(file)).toEqual([
      { type: 'fill', blocks: 3, pattern: '78563412' },
      { type: 'fill', blocks: 1, pattern: '01020304' },
      { type: 'fill', blocks: 1, pattern: 'abcdabcd' },
      { type: 'raw', blocks: 1 },
      { type: 'fill', blocks: 1, pattern: '78563412' },
    ]);
    expect((await expand(file)).equals(image)).toBe(true);
  });

  it('pads an image whose size is not a multiple of 4 KiB with zeros to its last whole block', async () => {
    const dataTail = Buffer.concat([Buffer.alloc(2 * BLOCK), randomBytes(1000)]);
    const dataFile = await resparse(dataTail);
    expect(await chunksOf(dataFile)).toEqual([{ type: 'fill', blocks: 2, pattern: '00000000' }, { type: 'raw', blocks: 1 }]);
    expect((await expand(dataFile)).equals(padded(dataTail))).toBe(true);

    // A tail of zeros pads into a zero block, which joins the zeros before it.
    const zeroTail = Buffer.concat([randomBytes(BLOCK), Buffer.alloc(BLOCK + 1000)]);
    const zeroFile = await resparse(zeroTail);
    expect(await chunksOf(zeroFile)).toEqual([{ type: 'raw', blocks: 1 }, { type: 'fill', blocks: 2, pattern: '00000000' }]);
    expect((await expand(zeroFile)).equals(padded(zeroTail))).toBe(true);

    // A tail of a non-zero value does not repeat once padded: data.
    const valueTail = Buffer.concat([repeated('55', BLOCK), repeated('55', 100)]);
    expect(await chunksOf(await resparse(valueTail))).toEqual([{ type: 'fill', blocks: 1, pattern: '55555555' }, { type: 'raw', blocks: 1 }]);
  });

  it('cuts long data runs into RAW chunks of at most 4 MiB and expands to exactly the original bytes, whatever the read size', async () => {
    const image = Buffer.concat([randomBytes(MAX_RAW_CHUNK_BYTES + 3 * BLOCK), Buffer.alloc(5 * BLOCK), randomBytes(BLOCK + 17)]);
    for (const read of [1000, BLOCK, 1 << 20]) {
      const file = await resparse(image, RAW, read);
      expect(await chunksOf(file)).toEqual([
        { type: 'raw', blocks: MAX_RAW_CHUNK_BYTES / BLOCK },
        { type: 'raw', blocks: 3 },
        { type: 'fill', blocks: 5, pattern: '00000000' },
        { type: 'raw', blocks: 2 },
      ]);
      expect(sha256(await expand(file))).toBe(sha256(padded(image)));
      expect(await expandedDigest(inReads(file))).toEqual({ size: padded(image).length, sha256: sha256(padded(image)) });
    }
  });

  it("writes byte for byte what AOSP's img2simg writes for the same raw image (runs under 4 MiB), and both expand to it", async (context) => {
    requireTools(context, 'img2simg');
    const image = Buffer.concat([
      randomBytes(3 * BLOCK),
      Buffer.alloc(7 * BLOCK),
      repeated('deadbeef', 2 * BLOCK),
      repeated('cafe', BLOCK),
      randomBytes(BLOCK),
      Buffer.alloc(BLOCK + 300),
      randomBytes(77),
    ]);
    const raw = join(work, 'judge.raw');
    const theirs = join(work, 'judge.simg');
    writeFileSync(raw, image);
    execFileSync('img2simg', [raw, theirs]);
    const ours = await resparse(image);
    expect(ours.equals(readFileSync(theirs))).toBe(true);
    const expandedOurs = join(work, 'judge.ours.simg');
    writeFileSync(expandedOurs, ours);
    execFileSync('simg2img', [expandedOurs, join(work, 'judge.out')]);
    expect(readFileSync(join(work, 'judge.out')).equals(padded(image))).toBe(true);
  });

  it('measures random data as larger than the image (the bundle keeps such an image as given)', async () => {
    const image = randomBytes(3 * BLOCK + 5);
    const layout = await measureResparse(inReads(image), RAW);
    expect(layout.size).toBeGreaterThan(image.length);
    expect(layout).toMatchObject({ blockSize: BLOCK, totalBlocks: 4, totalChunks: 1, rawBytes: 4 * BLOCK, fillBytes: 0, dontCareBytes: 0 });
  });

  it('refuses a second read that differs from the first, before handing out more than was measured', async () => {
    const first = Buffer.concat([randomBytes(BLOCK), Buffer.alloc(4 * BLOCK)]);
    const layout = await measureResparse(inReads(first), RAW);
    const second = Buffer.concat([randomBytes(BLOCK), Buffer.alloc(3 * BLOCK), randomBytes(BLOCK)]);
    let handed = 0;
    const error = await (async () => {
      for await (const part of resparsedImage(inReads(second), layout, RAW)) handed += part.length;
    })().then(() => null, (failure: unknown) => failure);
    expect(error).toBeInstanceOf(ResparseChangedError);
    expect(handed).toBeLessThanOrEqual(layout.size);
  });
});

describe('re-sparsing a sparse image', () => {
  const sparseImage = (chunks: Uint8Array[], totalBlocks: number, chunkCount: number): Buffer =>
    Buffer.concat([encodeSparseHeader(BLOCK, totalBlocks, chunkCount), ...chunks]);

  it('turns constant blocks inside RAW chunks into FILL, joins them with FILL chunks of the same value, keeps DONT_CARE and drops CRC32', async () => {
    const data = randomBytes(BLOCK);
    const rawPayload = Buffer.concat([data, Buffer.alloc(2 * BLOCK), data, repeated('11223344', BLOCK)]);
    const image = sparseImage(
      [
        encodeChunk(CHUNK_TYPE.RAW, 5, rawPayload.length),
        rawPayload,
        encodeChunk(CHUNK_TYPE.FILL, 2, 4, Buffer.from('11223344', 'hex')),
        encodeChunk(CHUNK_TYPE.CRC32, 0, 4, Buffer.alloc(4)),
        encodeChunk(CHUNK_TYPE.DONT_CARE, 6, 0),
        encodeChunk(CHUNK_TYPE.FILL, 1, 4, Buffer.alloc(4)),
      ],
      14,
      5,
    );
    const file = await resparse(image, { sparse: true });
    expect(await chunksOf(file)).toEqual([
      { type: 'raw', blocks: 1 },
      { type: 'fill', blocks: 2, pattern: '00000000' },
      { type: 'raw', blocks: 1 },
      { type: 'fill', blocks: 3, pattern: '11223344' },
      { type: 'dont-care', blocks: 6 },
      { type: 'fill', blocks: 1, pattern: '00000000' },
    ]);
    expect(file.length).toBeLessThan(image.length);
    // DONT_CARE expands to zeros on an erased partition, in both.
    expect((await expand(file)).equals(await expand(image))).toBe(true);
  });

  it('refuses a malformed sparse image as the sparse reader does', async () => {
    const image = sparseImage([encodeChunk(CHUNK_TYPE.RAW, 2, 2 * BLOCK), randomBytes(BLOCK)], 2, 1);
    await expect(measureResparse(inReads(image), { sparse: true })).rejects.toBeInstanceOf(SparseFormatError);
  });

  it('keeps a FILL whole when the splitter cuts pieces around it: the next piece starts after it, and simg2img reassembles the image', async () => {
    // Data, a long constant run the piece limit falls inside, then more data.
    const image = Buffer.concat([randomBytes(6 * BLOCK), repeated('a5a5a5a5', 40 * BLOCK), randomBytes(6 * BLOCK + 100)]);
    const file = await resparse(image);
    const max = 8 * BLOCK;
    const pieces: Buffer[] = [];
    let writes = 0;
    for await (const piece of splitImage({ size: file.length, open: () => inReads(file, 5000) }, max)) {
      const parts: Uint8Array[] = [];
      for await (const part of piece.bytes) parts.push(part);
      pieces.push(Buffer.concat(parts));
      writes += piece.writes;
    }
    expect(pieces.length).toBeGreaterThan(1);
    // What the handset writes (the flash deadline's bytes) counts all the FILL covers, not its 16 bytes on the wire.
    expect(writes).toBe(padded(image).length);
    for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(max);
    // The run is one FILL chunk in exactly one piece; the pieces before and after state it as DONT_CARE.
    const fills = (await Promise.all(pieces.map(chunksOf))).map((chunks) => chunks.filter((chunk) => chunk.type === 'fill'));
    expect(fills.flat()).toEqual([{ type: 'fill', blocks: 40, pattern: 'a5a5a5a5' }]);
    const files = pieces.map((piece, index) => {
      const path = join(work, `split.${index}.simg`);
      writeFileSync(path, piece);
      return path;
    });
    execFileSync('simg2img', [...files, join(work, 'split.out')]);
    expect(sha256(readFileSync(join(work, 'split.out')))).toBe(sha256(padded(image)));
  });

  it('states the expanded size as what the handset writes for a sparse image sent whole', async () => {
    const image = Buffer.concat([randomBytes(BLOCK), Buffer.alloc(100 * BLOCK)]);
    const file = await resparse(image);
    const pieces = [];
    for await (const piece of splitImage({ size: file.length, open: () => inReads(file) }, 1 << 20)) {
      for await (const part of piece.bytes) void part;
      pieces.push({ size: piece.size, writes: piece.writes });
    }
    expect(pieces).toEqual([{ size: file.length, writes: image.length }]);
  });
});
