import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { imageSourceFromPath, type ImageSource } from '../../../src/lib/sparse/image-source.ts';
import { CHUNK_TYPE, readSparse, SPARSE_HEADER_MAGIC, type SparseEvent } from '../../../src/lib/sparse/reader.ts';
import { splitImage, SparseSplitError, type SparsePiece } from '../../../src/lib/sparse/split.ts';
import { encodeChunk, encodeSparseHeader } from '../../../src/lib/sparse/writer.ts';

const work = mkdtempSync(join(tmpdir(), 'lockstep-split-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const MiB = 1024 * 1024;

async function collect(piece: SparsePiece): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const bytes of piece.bytes) parts.push(bytes);
  return Buffer.concat(parts);
}

async function split(source: ImageSource, max: number): Promise<Buffer[]> {
  const pieces: Buffer[] = [];
  for await (const piece of splitImage(source, max)) {
    const bytes = await collect(piece);
    expect(bytes.length).toBe(piece.size);
    expect(piece.index).toBe(pieces.length + 1);
    pieces.push(bytes);
  }
  return pieces;
}

/** Reassembles the pieces with AOSP's simg2img, the outside judge, and returns the SHA-256 of the result. */
function reassemble(name: string, pieces: readonly Buffer[]): { sha256: string; length: number } {
  const files = pieces.map((bytes, index) => {
    const file = join(work, `${name}.${index}.simg`);
    writeFileSync(file, bytes);
    return file;
  });
  const out = join(work, `${name}.out`);
  execFileSync('simg2img', [...files, out]);
  const image = readFileSync(out);
  return { sha256: sha256(image), length: image.length };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function fromBuffer(bytes: Buffer, chunk = 100_000): ImageSource {
  return {
    size: bytes.length,
    open: async function* () {
      for (let at = 0; at < bytes.length; at += chunk) yield bytes.subarray(at, at + chunk);
    },
  };
}

async function eventsOf(bytes: Buffer): Promise<SparseEvent[]> {
  const events: SparseEvent[] = [];
  for await (const event of readSparse(fromBuffer(bytes).open())) events.push(event);
  return events;
}

describe('splitImage', () => {
  it('sends an image that fits unchanged, in one piece', async () => {
    const raw = randomBytes(300_000);
    const pieces = await split(fromBuffer(raw), MiB);
    expect(pieces).toHaveLength(1);
    expect(pieces[0]?.equals(raw)).toBe(true);
  });

  it('cuts a raw image into sparse pieces no larger than the limit that simg2img reassembles byte for byte', async () => {
    // Not a whole number of blocks: the last block is padded with zeros, as libsparse does.
    const raw = randomBytes(3 * MiB + 1000);
    const file = join(work, 'raw.img');
    writeFileSync(file, raw);
    const max = MiB;
    const pieces = await split(await imageSourceFromPath(file), max);
    expect(pieces.length).toBe(4);
    for (const piece of pieces) {
      expect(piece.length).toBeLessThanOrEqual(max);
      expect(piece.readUInt32LE(0)).toBe(SPARSE_HEADER_MAGIC);
    }
    const padded = Buffer.concat([raw, Buffer.alloc(4096 - (raw.length % 4096))]);
    expect(reassemble('raw', pieces)).toEqual({ sha256: sha256(padded), length: padded.length });
  });

  it('makes every piece cover the whole partition, with DONT_CARE for what other pieces carry', async () => {
    const pieces = await split(fromBuffer(randomBytes(3 * MiB)), MiB);
    for (const piece of pieces) {
      const events = await eventsOf(piece);
      const header = events[0];
      expect(header?.type === 'header' && header.header.totalBlocks).toBe(768);
    }
    const middle = (await eventsOf(pieces[1] as Buffer)).map((event) => event.type).filter((type) => type !== 'raw');
    expect(middle).toEqual(['header', 'dont-care', 'dont-care']);
  });

  it('splits an img2simg sparse image (RAW, FILL and DONT_CARE chunks) and reassembles it exactly', async () => {
    const block = 4096;
    const parts = [randomBytes(700 * block), Buffer.alloc(300 * block), Buffer.alloc(200 * block, 0xab), randomBytes(500 * block + 123), Buffer.alloc(100 * block)];
    const raw = Buffer.concat(parts);
    const rawFile = join(work, 'holes.img');
    const sparseFile = join(work, 'holes.simg');
    writeFileSync(rawFile, raw);
    execFileSync('img2simg', [rawFile, sparseFile]);
    const sparse = readFileSync(sparseFile);
    const kinds = new Set((await eventsOf(sparse)).map((event) => event.type));
    expect(kinds).toEqual(new Set(['header', 'raw', 'fill']));
    for (const max of [MiB, 2 * MiB + 4096, 64 * 1024]) {
      const pieces = await split(await imageSourceFromPath(sparseFile), max);
      expect(pieces.length).toBeGreaterThan(1);
      for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(max);
      const whole = reassemble(`holes-${max}`, pieces);
      const padded = Buffer.concat([raw, Buffer.alloc(block - (raw.length % block))]);
      expect(whole).toEqual({ sha256: sha256(padded), length: padded.length });
    }
  });

  it('keeps DONT_CARE regions of a sparse image as DONT_CARE (zeros after simg2img) across pieces', async () => {
    const first = randomBytes(300 * 4096);
    const second = randomBytes(300 * 4096);
    const sparse = Buffer.concat([
      encodeSparseHeader(4096, 950, 5),
      encodeChunk(CHUNK_TYPE.RAW, 300, first.length),
      first,
      encodeChunk(CHUNK_TYPE.DONT_CARE, 200, 0),
      encodeChunk(CHUNK_TYPE.FILL, 100, 4, Uint8Array.of(9, 8, 7, 6)),
      encodeChunk(CHUNK_TYPE.RAW, 300, second.length),
      second,
      encodeChunk(CHUNK_TYPE.DONT_CARE, 50, 0),
    ]);
    const pieces = await split(fromBuffer(sparse, 65_536), MiB);
    expect(pieces.length).toBe(3);
    for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(MiB);
    const expanded = Buffer.concat([first, Buffer.alloc(200 * 4096), Buffer.alloc(100 * 4096, Buffer.from([9, 8, 7, 6])), second, Buffer.alloc(50 * 4096)]);
    expect(reassemble('dont-care', pieces)).toEqual({ sha256: sha256(expanded), length: expanded.length });
  });

  it('bounds one piece\'s plan for an image made of very many tiny chunks', async () => {
    const fills = 70_000;
    const tail = randomBytes(256 * 4096);
    const body = [encodeSparseHeader(4096, fills + 256, fills + 1)];
    for (let i = 0; i < fills; i++) body.push(encodeChunk(CHUNK_TYPE.FILL, 1, 4, Uint8Array.of(i & 0xff, 1, 2, 3)));
    body.push(encodeChunk(CHUNK_TYPE.RAW, 256, tail.length), tail);
    const sparse = Buffer.concat(body);
    const max = 2 * MiB;
    const pieces = await split(fromBuffer(sparse), max);
    const first = (await eventsOf(pieces[0] as Buffer))[0];
    // The chunk cap, not the byte budget, ended the first piece.
    expect(first?.type === 'header' && first.header.totalChunks).toBe(65_536);
    expect(pieces[0]?.length).toBeLessThan(max);
    for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(max);
    const expanded = Buffer.alloc((fills + 256) * 4096);
    for (let i = 0; i < fills; i++) expanded.fill(Buffer.from([i & 0xff, 1, 2, 3]), i * 4096, (i + 1) * 4096);
    tail.copy(expanded, fills * 4096);
    expect(reassemble('tiny', pieces).sha256).toBe(sha256(expanded));
  });

  it('refuses a malformed sparse file before yielding any piece, reading only its chunk headers', async () => {
    const data = randomBytes(300 * 4096);
    const good = Buffer.concat([encodeSparseHeader(4096, 400, 2), encodeChunk(CHUNK_TYPE.RAW, 300, data.length), data, encodeChunk(CHUNK_TYPE.DONT_CARE, 100, 0)]);
    const cases: [string, Buffer, RegExp][] = [
      ['lying.simg', Buffer.concat([good.subarray(0, 16), Buffer.from([0x91, 1, 0, 0]), good.subarray(20)]), /chunks cover 400 blocks but the header declares 401/],
      ['truncated.simg', good.subarray(0, good.length - 20), /file ends inside chunk 0's data|file ends inside chunk 1's header/],
      ['bad-type.simg', Buffer.concat([good.subarray(0, good.length - 12), Buffer.from([0xc5, 0xca, 0, 0, 100, 0, 0, 0, 12, 0, 0, 0])]), /chunk 1 has unknown type 0xcac5/],
    ];
    for (const [name, bytes, problem] of cases) {
      const file = join(work, name);
      writeFileSync(file, bytes);
      const pieces = splitImage(await imageSourceFromPath(file), 256 * 1024);
      await expect(pieces.next()).rejects.toThrow(problem);
    }
  });

  it('refuses a limit too small for one block with its headers', async () => {
    await expect(split(fromBuffer(randomBytes(100_000)), 4000)).rejects.toThrow(/cannot carry one 4096-byte block/);
  });

  it('notices a source that is shorter than it claims', async () => {
    const raw = randomBytes(3 * MiB);
    await expect(split({ size: raw.length + 5000, open: fromBuffer(raw).open }, MiB)).rejects.toThrow(SparseSplitError);
    await expect(split({ size: 200_000, open: fromBuffer(raw.subarray(0, 100_000)).open }, MiB)).rejects.toThrow(/ended after 100000 of its 200000 bytes/);
  });

  it('notices a sparse image that changes between the planning read and the sending read', async () => {
    const rawFile = join(work, 'changing.img');
    const sparseFile = join(work, 'changing.simg');
    writeFileSync(rawFile, Buffer.concat([randomBytes(600 * 4096), Buffer.alloc(100 * 4096, 7), randomBytes(300 * 4096)]));
    execFileSync('img2simg', [rawFile, sparseFile]);
    const original = readFileSync(sparseFile);
    const tampered = Buffer.from(original);
    // Change the FILL chunk's pattern: the planner reads the original, the sender the tampered copy.
    let fillAt = 28;
    while (tampered.readUInt16LE(fillAt) !== CHUNK_TYPE.FILL) fillAt += tampered.readUInt32LE(fillAt + 8);
    tampered.writeUInt32LE(0x08080808, fillAt + 12);
    let opens = 0;
    const source: ImageSource = { size: original.length, open: () => (opens++ === 0 ? fromBuffer(tampered) : fromBuffer(original)).open() };
    expect(opens).toBe(0);
    await expect(split(source, MiB)).rejects.toThrow(/changed while it was being read: expected a fill/);
  });
});
