import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CHUNK_TYPE, SPARSE_HEADER_MAGIC } from '../../../src/lib/sparse/reader.ts';
import { fleetPerTest, UsbHost } from './usb-host.ts';

const BLOCK = 4096;
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const fleetOf = fleetPerTest();

type Chunk = { type: 'raw'; data: Buffer } | { type: 'fill'; blocks: number; pattern: number } | { type: 'skip'; blocks: number };

/** A sparse image in libsparse's v1.0 layout, built byte by byte from the format. */
function sparse(chunks: Chunk[]): Buffer {
  const blocks = chunks.reduce((sum, chunk) => sum + (chunk.type === 'raw' ? chunk.data.length / BLOCK : chunk.blocks), 0);
  const header = Buffer.alloc(28);
  header.writeUInt32LE(SPARSE_HEADER_MAGIC, 0);
  header.writeUInt16LE(1, 4);
  header.writeUInt16LE(28, 8);
  header.writeUInt16LE(12, 10);
  header.writeUInt32LE(BLOCK, 12);
  header.writeUInt32LE(blocks, 16);
  header.writeUInt32LE(chunks.length, 20);
  const body = chunks.map((chunk) => {
    const head = Buffer.alloc(12);
    const payload = chunk.type === 'raw' ? chunk.data : chunk.type === 'fill' ? Buffer.alloc(4) : Buffer.alloc(0);
    if (chunk.type === 'fill') payload.writeUInt32LE(chunk.pattern, 0);
    head.writeUInt16LE(chunk.type === 'raw' ? CHUNK_TYPE.RAW : chunk.type === 'fill' ? CHUNK_TYPE.FILL : CHUNK_TYPE.DONT_CARE, 0);
    head.writeUInt32LE(chunk.type === 'raw' ? chunk.data.length / BLOCK : chunk.blocks, 4);
    head.writeUInt32LE(12 + payload.length, 8);
    return Buffer.concat([head, payload]);
  });
  return Buffer.concat([header, ...body]);
}

describe('sparse flashing', () => {
  it('applies sparse pieces cumulatively: DONT_CARE keeps what was there, FILL (zero or not) overwrites it', async () => {
    const sim = await fleetOf([{ serial: 'LSIM0001' }]);
    const host = await UsbHost.connect(sim.fleet.handsets[0]?.usbDevice ?? null);
    const old = randomBytes(6 * BLOCK);
    expect(await host.flash('boot_a', old)).toMatchObject({ code: 'OKAY' });

    const first = randomBytes(2 * BLOCK);
    const last = randomBytes(BLOCK);
    expect(await host.flash('boot_a', sparse([{ type: 'raw', data: first }, { type: 'skip', blocks: 4 }]))).toMatchObject({ code: 'OKAY' });
    expect(await host.flash('boot_a', sparse([{ type: 'skip', blocks: 2 }, { type: 'fill', blocks: 1, pattern: 0xdeadbeef }, { type: 'fill', blocks: 1, pattern: 0 }, { type: 'skip', blocks: 1 }, { type: 'raw', data: last }]))).toMatchObject({ code: 'OKAY' });

    const expected = Buffer.concat([first, Buffer.alloc(BLOCK, Buffer.from([0xef, 0xbe, 0xad, 0xde])), Buffer.alloc(BLOCK), old.subarray(4 * BLOCK, 5 * BLOCK), last]);
    expect(await host.sha256('boot_a', expected.length)).toBe(sha256(expected));
  });

  it('refuses a sparse image that expands past the partition', async () => {
    const sim = await fleetOf([{ serial: 'LSIM0001' }]);
    const host = await UsbHost.connect(sim.fleet.handsets[0]?.usbDevice ?? null);
    const tooBig = sparse([{ type: 'skip', blocks: 256 }, { type: 'fill', blocks: 1, pattern: 1 }]);
    expect(await host.flash('misc', tooBig)).toMatchObject({ code: 'FAIL', text: expect.stringMatching(/^sparse image expands to 1052672 bytes/) });
  });
});
