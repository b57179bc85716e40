// What both bootloader dialects do to the device once they have parsed their own syntax: hash a
// partition, read and burn OTP fuse words, lock. One implementation, so the two dialects differ
// only in spelling, exactly as two vendors' bootloaders on the same hardware would.
import { isFuseAddress } from '../handset-state.ts';
import type { SimHandset } from '../handset.ts';
import { Refusal } from '../refusal.ts';

export const UINT32_MAX = 0xffff_ffff;

/** Which spellings a number argument accepts: `0x…` hex, plain decimal, or either. */
export type NumberSyntax = 'hex' | 'decimal' | 'either';

/** A number argument; anything else (signs, spaces, 1e9, overflow, the wrong radix) is refused. */
export function parseNumber(text: string, what: string, max: number, syntax: NumberSyntax = 'either'): number {
  const hex = syntax !== 'decimal' && /^0[xX][0-9a-fA-F]{1,16}$/.test(text);
  const decimal = syntax !== 'hex' && /^[0-9]{1,20}$/.test(text);
  const value = hex ? Number.parseInt(text.slice(2), 16) : decimal ? Number(text) : Number.NaN;
  if (Number.isNaN(value)) throw new Refusal(`${what} must be ${syntax === 'either' ? 'decimal or 0x hex' : syntax === 'hex' ? '0x hex' : 'decimal'}`);
  if (!Number.isSafeInteger(value) || value > max) throw new Refusal(`${what} is out of range`);
  return value;
}

export function expectArgs(args: readonly string[], count: number, usage: string): readonly string[] {
  if (args.length !== count) throw new Refusal(usage);
  return args;
}

export function fuseAddress(bank: number, word: number): { bank: number; word: number } {
  if (!isFuseAddress(bank, word)) throw new Refusal(`no fuse word ${word} in bank ${bank}`);
  return { bank, word };
}

/** SHA-256 (hex) of the first `bytesText` bytes of a partition, named fully or by slotted base. */
export async function partitionDigest(handset: SimHandset, name: string, bytesText: string, syntax: NumberSyntax): Promise<string> {
  const partition = handset.resolvePartition(name);
  if (!partition) throw new Refusal(`no partition ${name}`);
  const bytes = parseNumber(bytesText, 'bytes', Number.MAX_SAFE_INTEGER, syntax);
  if (bytes > partition.size) throw new Refusal(`${bytes} bytes exceeds ${partition.name} (0x${partition.size.toString(16)})`);
  return handset.partitions.sha256(partition.name, bytes);
}

/** A fuse word as the bootloader reads it back (a fuse-readback fault hides burned bits). */
export function readFuseWord(handset: SimHandset, bank: number, word: number): number {
  return (handset.state.fuseWord(bank, word) & ~handset.faults.readbackClearBits(bank, word)) >>> 0;
}

export const hex8 = (value: number): string => `0x${value.toString(16).padStart(8, '0')}`;

/** Sets the mask's bits (OTP: bits only go 0→1), durable before it resolves; refused when locked. */
export async function burnFuses(handset: SimHandset, bank: number, word: number, mask: number): Promise<void> {
  if (!handset.state.unlocked) throw new Refusal('fuse programming is not allowed in Lock State');
  await handset.state.programFuse(bank, word, mask);
}

export async function lockBootloader(handset: SimHandset, alreadyLocked: string): Promise<void> {
  if (!handset.state.unlocked) throw new Refusal(alreadyLocked);
  await handset.state.setUnlocked(false);
}
