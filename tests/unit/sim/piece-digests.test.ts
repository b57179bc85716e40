import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PieceDigests } from '../../../src/sim/piece-digests.ts';

const sha = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const hex = (digest: Uint8Array): string => Buffer.from(digest).toString('hex');

describe('piece digests shared by the handsets of a simulator', () => {
  it('gives the SHA-256 of exactly the bytes given, kept or not', () => {
    const digests = new PieceDigests();
    const piece = randomBytes(70_000);
    expect(hex(digests.of(4096, piece))).toBe(sha(piece));
    // A second handset's copy of the same bytes gets the kept digest.
    expect(hex(digests.of(4096, Buffer.from(piece)))).toBe(sha(piece));
    // One byte changed at the same offset and length: not the kept digest.
    const changed = Buffer.from(piece);
    changed.writeUInt8((changed.readUInt8(69_999) ^ 1), 69_999);
    expect(hex(digests.of(4096, changed))).toBe(sha(changed));
    // And the original again, now that the changed piece is kept in its place.
    expect(hex(digests.of(4096, piece))).toBe(sha(piece));
  });

  it('keeps its own copy: a caller reusing its buffer does not change what is compared', () => {
    const digests = new PieceDigests();
    const buffer = randomBytes(1000);
    const first = Buffer.from(buffer);
    expect(hex(digests.of(0, buffer))).toBe(sha(first));
    buffer.fill(7);
    expect(hex(digests.of(0, buffer))).toBe(sha(buffer));
    expect(hex(digests.of(0, first))).toBe(sha(first));
  });

  it('keeps a bounded number of bytes, dropping the least recently used piece', () => {
    const digests = new PieceDigests(3000);
    const pieces = [randomBytes(1000), randomBytes(1000), randomBytes(1000), randomBytes(1000)];
    pieces.slice(0, 3).forEach((piece, index) => digests.of(index * 1000, piece));
    digests.of(0, pieces[0] as Buffer);
    digests.of(3000, pieces[3] as Buffer);
    expect(digests.held).toBe(3000);
    // A piece larger than the bound is hashed, not kept.
    const large = randomBytes(4000);
    expect(hex(digests.of(9000, large))).toBe(sha(large));
    expect(digests.held).toBe(3000);
  });
});
