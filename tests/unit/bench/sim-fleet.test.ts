// How the provisioning bench spreads a fleet over simulator processes (bench/sim-fleet.ts).
import { describe, expect, it } from 'vitest';
import { simProcessCount, splitFleet } from '../../../bench/sim-fleet.ts';

describe('the bench fleet over simulator processes', () => {
  it('gives a process at most 16 handsets, down to 8 where cores beyond the station’s one allow', () => {
    expect([1, 16, 17, 32, 64].map((handsets) => simProcessCount(handsets, 2))).toEqual([1, 1, 2, 2, 4]);
    expect([8, 16, 32].map((handsets) => simProcessCount(handsets, 8))).toEqual([1, 2, 4]);
    expect(simProcessCount(32, 1)).toBe(2);
    expect(simProcessCount(32, 2, 8)).toBe(4);
  });

  it('numbers the handsets 1… across the processes in runs as even as possible', () => {
    expect(splitFleet(32, 2)).toEqual([[1, 16], [17, 16]]);
    expect(splitFleet(10, 3)).toEqual([[1, 4], [5, 3], [8, 3]]);
    expect(splitFleet(2, 4)).toEqual([[1, 1], [2, 1]]);
  });
});
