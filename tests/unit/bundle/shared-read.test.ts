import { describe, expect, it } from 'vitest';
import { SharedRead } from '../../../src/main/bundle/shared-read.ts';

const BLOCKS = 12;

/** A source of BLOCKS numbered blocks that counts how often it is opened and how many blocks it read. */
function countingSource(failAt: number | null = null) {
  const stats = { opens: 0, blocksRead: 0, closed: 0 };
  const open = async function* (): AsyncGenerator<Uint8Array> {
    stats.opens++;
    try {
      for (let index = 0; index < BLOCKS; index++) {
        await new Promise((resolve) => setImmediate(resolve));
        if (index === failAt) throw new Error(`block ${index} differs from the verified image`);
        stats.blocksRead++;
        yield Uint8Array.of(index, index, index);
      }
    } finally {
      stats.closed++;
    }
  };
  return { open, stats };
}

async function collect(blocks: AsyncIterable<Uint8Array>, onBlock?: (index: number) => Promise<void>): Promise<number[]> {
  const seen: number[] = [];
  for await (const block of blocks) {
    seen.push(block[0] ?? -1);
    await onBlock?.(seen.length - 1);
  }
  return seen;
}

const all = Array.from({ length: BLOCKS }, (_, index) => index);

describe('a shared read of an image', () => {
  it('reads each block once for readers that start together, and each gets every block in order', async () => {
    const { open, stats } = countingSource();
    const shared = new SharedRead(open, 4);
    const results = await Promise.all(Array.from({ length: 5 }, () => collect(shared.read())));
    for (const result of results) expect(result).toEqual(all);
    expect(stats).toEqual({ opens: 1, blocksRead: BLOCKS, closed: 1 });
  });

  it('lets a reader that falls behind the window read on its own, from where it was', async () => {
    const { open, stats } = countingSource();
    const shared = new SharedRead(open, 3);
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    // The slow reader stops after its second block until the fast one has finished.
    const slow = collect(shared.read(), async (index) => (index === 1 ? held : undefined));
    const fast = await collect(shared.read());
    release();
    expect(fast).toEqual(all);
    expect(await slow).toEqual(all);
    expect(stats.opens).toBe(2);
  });

  it('starts a new read for a reader that arrives after the first block has left the window', async () => {
    const { open, stats } = countingSource();
    const shared = new SharedRead(open, 2);
    const first = shared.read();
    const seen = [(await first.next()).value?.[0], (await first.next()).value?.[0], (await first.next()).value?.[0]];
    expect(seen).toEqual([0, 1, 2]);
    const late = await collect(shared.read());
    expect(late).toEqual(all);
    expect(await collect(first)).toEqual(all.slice(3));
    expect(stats.opens).toBe(2);
  });

  it('gives every reader the failure of the read they share', async () => {
    const { open, stats } = countingSource(5);
    const shared = new SharedRead(open, 4);
    const results = await Promise.allSettled([collect(shared.read()), collect(shared.read())]);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect(String((result as PromiseRejectedResult).reason)).toContain('block 5 differs');
    }
    expect(stats.opens).toBe(1);
    // A failed read is not joined again: the next reader reads afresh.
    await expect(collect(shared.read())).rejects.toThrow('block 5 differs');
    expect(stats.opens).toBe(2);
  });

  it('stops a cancelled reader without disturbing the others, and closes the source when the last one leaves', async () => {
    const { open, stats } = countingSource();
    const shared = new SharedRead(open, 4);
    const controller = new AbortController();
    const cancelled = collect(shared.read(controller.signal), async (index) => (index === 2 ? controller.abort(new Error('unplugged')) : undefined));
    const other = collect(shared.read());
    await expect(cancelled).rejects.toThrow('unplugged');
    expect(await other).toEqual(all);
    expect(stats.opens).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(stats.closed).toBe(1);
  });

  it('closes the source of a reader that stops early', async () => {
    const { open, stats } = countingSource();
    const shared = new SharedRead(open, 4);
    for await (const block of shared.read()) if (block[0] === 1) break;
    await new Promise((resolve) => setImmediate(resolve));
    expect(stats).toMatchObject({ opens: 1, closed: 1 });
    expect(stats.blocksRead).toBeLessThan(BLOCKS);
  });
});
