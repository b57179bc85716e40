import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { ContentDigests, ContentLog } from '../../../src/sim/content-digest.ts';

const keyOf = (bytes: number, writes: [number, Uint8Array][]): string => {
  const log = new ContentLog();
  for (const [offset, data] of writes) log.wrote(offset, data);
  return log.key(bytes);
};

describe('content digests', () => {
  it('computes a digest once for every handset asking at the same time or later', async () => {
    const digests = new ContentDigests();
    let finish: (digest: string) => void = () => undefined;
    const compute = vi.fn(() => new Promise<string>((resolve) => (finish = resolve)));
    const asked = [digests.of('k', compute), digests.of('k', compute), digests.of('k', compute)];
    finish('d1');
    expect(await Promise.all(asked)).toEqual(['d1', 'd1', 'd1']);
    expect(await digests.of('k', compute)).toBe('d1');
    expect(compute).toHaveBeenCalledTimes(1);
  });

  it('lets a handset waiting on a failed computation compute its own, and forgets the failure', async () => {
    const digests = new ContentDigests();
    const failing = digests.of('k', () => Promise.reject(new Error('file went away')));
    const waiting = digests.of('k', () => Promise.resolve('own'));
    await expect(failing).rejects.toThrow('file went away');
    expect(await waiting).toBe('own');
    expect(await digests.of('k', () => Promise.resolve('fresh'))).toBe('fresh');
  });

  it('remembers a bounded number of contents, dropping the least recently asked', async () => {
    const digests = new ContentDigests();
    for (let n = 0; n < 65; n++) await digests.of(`k${n}`, () => Promise.resolve(`d${n}`));
    expect(await digests.of('k0', () => Promise.resolve('again'))).toBe('again');
    expect(await digests.of('k64', () => Promise.resolve('again'))).toBe('d64');
  });

  it('keys differ for another length, offset, byte or order of writes, and not for the same writes', () => {
    const data = Uint8Array.of(1, 2, 3);
    const base = keyOf(100, [[10, data]]);
    expect(keyOf(100, [[10, Uint8Array.of(1, 2, 3)]])).toBe(base);
    expect(keyOf(101, [[10, data]])).not.toBe(base);
    expect(keyOf(100, [[11, data]])).not.toBe(base);
    expect(keyOf(100, [[10, Uint8Array.of(1, 2, 4)]])).not.toBe(base);
    expect(keyOf(100, [[10, Uint8Array.of(1, 2)], [12, Uint8Array.of(3)]])).not.toBe(base);
    expect(keyOf(100, [[0, data], [10, data]])).not.toBe(keyOf(100, [[10, data], [0, data]]));
    // Asking for a key does not end the log.
    const log = new ContentLog();
    log.wrote(10, data);
    expect(log.key(100)).toBe(base);
    log.wrote(20, data);
    expect(log.key(100)).toBe(keyOf(100, [[10, data], [20, data]]));
  });

  it('keeps the SHA-256 of the content up to the last forward write, exact for any length from there, and none once a write goes back', () => {
    const content = Buffer.alloc(3 * 1024 * 1024);
    const writes: [number, Uint8Array][] = [[0, randomBytes(1000)], [5000, randomBytes(70_000)], [2 * 1024 * 1024, randomBytes(4096)]];
    const log = new ContentLog();
    expect(log.digestFromPrefix(4096)).toBe(createHash('sha256').update(Buffer.alloc(4096)).digest('hex'));
    for (const [offset, data] of writes) {
      log.wrote(offset, data);
      content.set(data, offset);
    }
    const sha = (length: number): string => createHash('sha256').update(content.subarray(0, length)).digest('hex');
    expect(log.digestFromPrefix(content.length)).toBe(sha(content.length));
    expect(log.digestFromPrefix(2 * 1024 * 1024 + 4096)).toBe(sha(2 * 1024 * 1024 + 4096));
    // Shorter than the last write: not from the prefix.
    expect(log.digestFromPrefix(2 * 1024 * 1024)).toBeNull();
    // A second handset making the same writes gets the same answer (from the shared table).
    const twin = new ContentLog();
    for (const [offset, data] of writes) twin.wrote(offset, data);
    expect(twin.digestFromPrefix(content.length)).toBe(sha(content.length));
    log.wrote(10, Uint8Array.of(1));
    expect(log.digestFromPrefix(content.length)).toBeNull();
  });
});
