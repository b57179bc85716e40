// Which cards a frame draws when the grid paces its changes (hooks/usePaced.ts); no DOM here, so it is unit-tested in Node.

/** The keys whose drawn value is missing or differs from the wanted one, in `wanted`'s order. */
export function keysBehind<V>(wanted: ReadonlyMap<string, V>, drawn: ReadonlyMap<string, V>, same: (drawn: V, next: V) => boolean): string[] {
  return [...wanted].filter(([key, value]) => !drawn.has(key) || !same(drawn.get(key) as V, value)).map(([key]) => key);
}

/**
 * The next frame's share: up to `perFrame` of the keys behind, starting at the first one at or after
 * position `cursor` of `order` and wrapping round, so no key waits behind the others; and where the
 * frame after it starts.
 */
export function pacedStep(order: readonly string[], behind: readonly string[], cursor: number, perFrame: number): { readonly keys: string[]; readonly cursor: number } {
  const position = new Map(order.map((key, index) => [key, index]));
  const start = Math.max(0, behind.findIndex((key) => (position.get(key) ?? 0) >= cursor));
  const keys = [...behind.slice(start), ...behind.slice(0, start)].slice(0, perFrame);
  return { keys, cursor: (position.get(keys.at(-1) ?? '') ?? -1) + 1 };
}
