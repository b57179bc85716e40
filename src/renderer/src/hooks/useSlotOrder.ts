import { useEffect, useMemo, useState } from 'react';
import type { SlotNames } from '../../../shared/handset.ts';

const KEY = 'lockstep.slotOrder';
const MAX_REMEMBERED = 256;

function remembered(): readonly string[] {
  try {
    const value = JSON.parse(localStorage.getItem(KEY) ?? '[]') as unknown;
    return Array.isArray(value) ? value.filter((slot): slot is string => typeof slot === 'string').slice(-MAX_REMEMBERED) : [];
  } catch {
    return [];
  }
}

/**
 * Fixed places for the grid, like ports on a hub: the depot's named slots first (in name order),
 * then every other slot in the order it was first plugged, remembered across restarts. A slot keeps
 * its place once bound (with no handset it shows as an empty card); a new one never moves the others.
 */
export function useSlotOrder(present: readonly string[], names: SlotNames): readonly string[] {
  const [order, setOrder] = useState(remembered);
  const missing = present.filter((slot, index) => !order.includes(slot) && !Object.hasOwn(names, slot) && present.indexOf(slot) === index);
  // Binding new slots during render (React's "store information from previous renders") costs no
  // extra commit: React renders again at once with the new order and drops this render.
  if (missing.length > 0) setOrder([...order, ...missing]);
  useEffect(() => {
    localStorage.setItem(KEY, JSON.stringify(order.slice(-MAX_REMEMBERED)));
  }, [order]);
  // The same array while nothing changed, so what is drawn from it is not worked out again.
  return useMemo(() => {
    const named = Object.keys(names).sort((a, b) => (names[a] as string).localeCompare(names[b] as string, undefined, { numeric: true }));
    return [...named, ...order.filter((slot) => !Object.hasOwn(names, slot))];
  }, [order, names]);
}
