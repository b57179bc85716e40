// The station grid draws and changes at most a few cards per frame: which ones each frame takes.
import { describe, expect, it } from 'vitest';
import { keysBehind, pacedStep } from '../../../src/renderer/src/pacing.ts';

const ORDER = ['a', 'b', 'c', 'd', 'e', 'f'];

describe('paced drawing', () => {
  it('finds the keys not drawn yet or drawn with a different value, in order', () => {
    const wanted = new Map([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    const drawn = new Map([
      ['a', 1],
      ['c', 4],
      ['x', 9],
    ]);
    expect(keysBehind(wanted, drawn, (x, y) => x === y)).toEqual(['b', 'c']);
    expect(keysBehind(wanted, new Map(wanted), (x, y) => x === y)).toEqual([]);
  });

  it('takes up to the frame share from the cursor on and wraps round', () => {
    expect(pacedStep(ORDER, ORDER, 0, 4)).toEqual({ keys: ['a', 'b', 'c', 'd'], cursor: 4 });
    expect(pacedStep(ORDER, ORDER, 4, 4)).toEqual({ keys: ['e', 'f', 'a', 'b'], cursor: 2 });
    expect(pacedStep(ORDER, ['b', 'f'], 3, 4)).toEqual({ keys: ['f', 'b'], cursor: 2 });
  });

  it('serves every key within a round even when the first ones change again each frame', () => {
    const served = new Set<string>();
    let cursor = 0;
    for (let frame = 0; frame < 3; frame += 1) {
      const step = pacedStep(ORDER, ORDER, cursor, 2);
      for (const key of step.keys) served.add(key);
      cursor = step.cursor;
    }
    expect([...served].sort()).toEqual(ORDER);
  });

  it('starts from the first key when the cursor is past every key behind', () => {
    expect(pacedStep(ORDER, ['a', 'b'], 5, 4)).toEqual({ keys: ['a', 'b'], cursor: 2 });
  });
});
