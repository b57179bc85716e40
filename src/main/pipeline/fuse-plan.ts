// The fuse arithmetic of one handset: which bits of which word the bundle's policy demands, under
// the handset's profile, and the words and fuse names that follow from a read-back. Pure functions.
import type { DeviceProfile } from '../../shared/profile.ts';
import type { FuseReadback } from '../../shared/step-events.ts';

/** The bits one fuse word must end with set. */
export interface FuseWordPlan {
  readonly bank: number;
  readonly word: number;
  readonly mask: number;
}

export function wordKey(entry: { readonly bank: number; readonly word: number }): string {
  return `${entry.bank}/${entry.word}`;
}

/** The fuse bits the policy names, grouped into one mask per fuse word. */
export function fuseWordPlans(profile: DeviceProfile, fuses: readonly string[]): FuseWordPlan[] {
  const plans = new Map<string, { bank: number; word: number; mask: number }>();
  for (const name of fuses) {
    const bit = profile.fuses[name];
    if (!bit) continue;
    const plan = plans.get(wordKey(bit)) ?? { bank: bit.bank, word: bit.word, mask: 0 };
    plan.mask = (plan.mask | (1 << bit.bit)) >>> 0;
    plans.set(wordKey(bit), plan);
  }
  return [...plans.values()];
}

/** The policy fuses whose bits are set in `words` and in `bits` (per word), by name, in policy order. */
export function fusesIn(profile: DeviceProfile, fuses: readonly string[], words: ReadonlyMap<string, number>): string[] {
  return fuses.filter((name) => {
    const bit = profile.fuses[name];
    return bit !== undefined && (((words.get(wordKey(bit)) ?? 0) >>> bit.bit) & 1) === 1;
  });
}

export function wordMap(words: readonly FuseReadback[]): Map<string, number> {
  return new Map(words.map((entry) => [wordKey(entry), entry.value]));
}

export function hex8(value: number): string {
  return `0x${(value >>> 0).toString(16).padStart(8, '0')}`;
}

export function describeWords(words: readonly FuseReadback[]): string {
  return words.map((entry) => `bank ${entry.bank} word ${entry.word} = ${hex8(entry.value)}`).join(', ');
}

/** What differs between a word read back and the word expected, in words for the operator. */
export function describeBits(actual: number, expected: number): string {
  const missing = (expected & ~actual) >>> 0;
  const extra = (actual & ~expected) >>> 0;
  return [missing ? `missing bits ${hex8(missing)}` : '', extra ? `unexpected bits ${hex8(extra)}` : ''].filter(Boolean).join(', ');
}
