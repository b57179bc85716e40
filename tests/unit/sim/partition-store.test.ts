import { randomBytes, createHash } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PartitionStore } from '../../../src/sim/partition-store.ts';
import { REFERENCE_PARTITIONS } from '../../../src/sim/platform.ts';

const MIB = 1024 * 1024;
const work = mkdtempSync(join(tmpdir(), 'lockstep-partitions-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Bytes the file system really allocated for a file. */
const allocated = (path: string): number => statSync(path).blocks * 512;

describe('partition store', () => {
  it('holds the reference partitions at full size (4 GiB userdata) without allocating them', async () => {
    await PartitionStore.open(work, REFERENCE_PARTITIONS);
    const userdata = join(work, 'userdata.img');
    expect(statSync(userdata).size).toBe(4096 * MIB);
    expect(allocated(userdata)).toBeLessThan(MIB);
  });

  it('writes zeros only over non-zero bytes, so zero data and zero fills keep holes', async () => {
    const store = await PartitionStore.open(work, REFERENCE_PARTITIONS);
    const writer = await store.openWriter('system_a');
    await writer.write(0, new Uint8Array(8 * MIB));
    await writer.fill(8 * MIB, 64 * MIB, new Uint8Array(4));
    const data = randomBytes(MIB);
    await writer.write(100 * MIB, data);
    await writer.close();
    const path = join(work, 'system_a.img');
    expect(allocated(path)).toBeLessThan(4 * MIB);

    const overwrite = await store.openWriter('system_a');
    await overwrite.fill(100 * MIB, MIB, new Uint8Array(4));
    await overwrite.close();
    expect(await store.sha256('system_a', 101 * MIB)).toBe(createHash('sha256').update(Buffer.alloc(101 * MIB)).digest('hex'));
  });

  it('erases by returning the blocks, and refuses writes outside the partition', async () => {
    const store = await PartitionStore.open(work, REFERENCE_PARTITIONS);
    const writer = await store.openWriter('misc');
    await writer.write(0, randomBytes(MIB));
    await expect(writer.write(MIB - 1, new Uint8Array(2))).rejects.toThrow(RangeError);
    await expect(writer.fill(-4, 4, new Uint8Array([1, 2, 3, 4]))).rejects.toThrow(RangeError);
    await writer.close();
    expect(allocated(join(work, 'misc.img'))).toBeGreaterThanOrEqual(MIB);
    await store.erase('misc');
    expect(allocated(join(work, 'misc.img'))).toBe(0);
    expect(statSync(join(work, 'misc.img')).size).toBe(MIB);
    await expect(store.sha256('misc', MIB + 1)).rejects.toThrow(RangeError);
  });

  it('hashes a partition written after an erase exactly as its bytes, skipping only what is still a hole', async () => {
    const store = await PartitionStore.open(work, REFERENCE_PARTITIONS);
    const writer = await store.openWriter('vendor_a');
    await writer.write(3 * MIB, randomBytes(MIB));
    await writer.close();
    await store.erase('vendor_a');
    const after = await store.openWriter('vendor_a');
    const head = randomBytes(MIB + 17);
    const tail = randomBytes(2 * MIB);
    await after.write(0, head);
    await after.write(5 * MIB, tail);
    await after.write(5 * MIB, new Uint8Array(4096));
    await after.fill(9 * MIB, MIB, Uint8Array.of(1, 2, 3, 4));
    await after.close();
    const expected = Buffer.alloc(12 * MIB);
    head.copy(expected, 0);
    tail.copy(expected, 5 * MIB);
    expected.fill(0, 5 * MIB, 5 * MIB + 4096);
    for (let at = 9 * MIB; at < 10 * MIB; at += 4) expected.set([1, 2, 3, 4], at);
    expect(await store.sha256('vendor_a', expected.length)).toBe(createHash('sha256').update(expected).digest('hex'));
    // The same store reopened knows nothing of the erase and reads the file: the same answer.
    const reopened = await PartitionStore.open(work, REFERENCE_PARTITIONS);
    expect(await reopened.sha256('vendor_a', expected.length)).toBe(createHash('sha256').update(expected).digest('hex'));
  });

  it('hashes the same content in several handsets once, and different content (one byte, or one byte more hashed) apart', async () => {
    const image = randomBytes(2 * MIB);
    const stores = await Promise.all([1, 2, 3].map((n) => PartitionStore.open(join(work, `handset-${n}`), REFERENCE_PARTITIONS)));
    for (const [index, store] of stores.entries()) {
      await store.erase('boot_a');
      const writer = await store.openWriter('boot_a');
      const bytes = Buffer.from(image);
      if (index === 2) bytes[MIB + 5] = (bytes[MIB + 5] ?? 0) ^ 1;
      await writer.write(MIB, bytes);
      await writer.close();
    }
    const expected = (content: Uint8Array, length: number): string => {
      const whole = Buffer.alloc(length);
      whole.set(content.subarray(0, length - MIB), MIB);
      return createHash('sha256').update(whole).digest('hex');
    };
    const [first, second, third] = await Promise.all(stores.map((store) => store.sha256('boot_a', 3 * MIB)));
    expect(first).toBe(expected(image, 3 * MIB));
    expect(second).toBe(first);
    const changed = Buffer.from(image);
    changed[MIB + 5] = (changed[MIB + 5] ?? 0) ^ 1;
    expect(third).toBe(expected(changed, 3 * MIB));
    expect(await stores[0]?.sha256('boot_a', 3 * MIB - 1)).toBe(expected(image, 3 * MIB - 1));
  });
});
