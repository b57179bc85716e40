import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CHUNK_TYPE } from '../../../src/lib/sparse/reader.ts';
import { encodeChunk, encodeSparseHeader } from '../../../src/lib/sparse/writer.ts';
import { expandedDigest } from '../../../src/main/bundle/sparse-digest.ts';

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

describe('expanded digest of a sparse image', () => {
  it('hashes FILL runs of every length as the pattern repeated, DONT_CARE as zeros', async () => {
    const blockSize = 4096;
    // One block, a run just over the 1 MiB pattern buffer, and a run of several buffers plus a block.
    const runs = [1, 257, 3 * 256 + 1];
    const pattern = Uint8Array.of(0xde, 0xad, 0xbe, 0xef);
    const totalBlocks = runs.reduce((sum, blocks) => sum + blocks, 0) + 2;
    const parts: Uint8Array[] = [encodeSparseHeader(blockSize, totalBlocks, runs.length + 1)];
    const expected = createHash('sha256');
    for (const blocks of runs) {
      parts.push(encodeChunk(CHUNK_TYPE.FILL, blocks, 4, pattern));
      expected.update(Buffer.alloc(blocks * blockSize, Buffer.from(pattern)));
    }
    parts.push(encodeChunk(CHUNK_TYPE.DONT_CARE, 2, 0));
    expected.update(Buffer.alloc(2 * blockSize));
    const digest = await expandedDigest(once(Buffer.concat(parts)), totalBlocks * blockSize);
    expect(digest).toEqual({ size: totalBlocks * blockSize, sha256: expected.digest('hex') });
  });
});
