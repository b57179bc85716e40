// The byte ranges of a partition written since it was last erased. While a partition's extents are
// known, every byte outside them is a hole that reads as zero, so the store can skip reading it
// (hashing zeros from memory, not writing zeros over zeros): the kernel's zero-filling of holes was
// a quarter of the simulator's CPU in the provisioning benchmark. Unknown after a restart: then the
// store reads the file as before.

export class Extents {
  /** Sorted, disjoint, non-adjacent [start, end) ranges. */
  readonly #ranges: [number, number][] = [];

  add(start: number, end: number): void {
    if (end <= start) return;
    let from = start;
    let to = end;
    const kept: [number, number][] = [];
    for (const [a, b] of this.#ranges) {
      if (b < from || a > to) kept.push([a, b]);
      else {
        from = Math.min(from, a);
        to = Math.max(to, b);
      }
    }
    kept.push([from, to]);
    kept.sort((x, y) => x[0] - y[0]);
    this.#ranges.splice(0, this.#ranges.length, ...kept);
  }

  /** The written ranges clipped to [start, end), in order. */
  *within(start: number, end: number): Generator<readonly [number, number]> {
    for (const [a, b] of this.#ranges) if (a < end && start < b) yield [Math.max(a, start), Math.min(b, end)];
  }

  /** Whether any byte of [start, end) was written. */
  touches(start: number, end: number): boolean {
    return this.#ranges.some(([a, b]) => a < end && start < b);
  }
}
