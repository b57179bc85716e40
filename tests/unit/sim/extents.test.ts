import { describe, expect, it } from 'vitest';
import { Extents } from '../../../src/sim/extents.ts';

describe('written extents', () => {
  it('merges overlapping and adjacent ranges and answers whether a range was written', () => {
    const extents = new Extents();
    extents.add(10, 20);
    extents.add(30, 40);
    expect(extents.touches(20, 30)).toBe(false);
    expect(extents.touches(19, 21)).toBe(true);
    expect(extents.touches(0, 10)).toBe(false);
    extents.add(20, 30);
    expect(extents.touches(25, 26)).toBe(true);
    extents.add(5, 5);
    expect(extents.touches(5, 6)).toBe(false);
    extents.add(0, 100);
    expect(extents.touches(99, 200)).toBe(true);
    expect(extents.touches(100, 200)).toBe(false);
  });
});
