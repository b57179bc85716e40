// The reference handset's vendor commands (`oem …`): partition hash and OTP fuse access.
import { isFuseAddress } from './handset-state.ts';
import type { SimHandset } from './handset.ts';
import { Refusal } from './refusal.ts';

const UINT32_MAX = 0xffff_ffff;

/** Runs `oem <words>`; `info` sends INFO lines. Resolves when the command succeeded (OKAY), throws Refusal for FAIL. */
export async function runOem(handset: SimHandset, words: readonly string[], info: (text: string) => void): Promise<void> {
  const [name, ...args] = words;
  if (name === 'sha256') return sha256(handset, args, info);
  if (name === 'fuse' && args[0] === 'read') return fuseRead(handset, args.slice(1), info);
  if (name === 'fuse' && args[0] === 'prog') return fuseProg(handset, args.slice(1));
  throw new Refusal('unknown oem command');
}

async function sha256(handset: SimHandset, args: readonly string[], info: (text: string) => void): Promise<void> {
  const [name = '', size = ''] = expectArgs(args, 2, 'usage: oem sha256 <partition> <bytes>');
  const partition = handset.resolvePartition(name);
  if (!partition) throw new Refusal(`no partition ${name}`);
  const bytes = parseNumber(size, 'bytes', Number.MAX_SAFE_INTEGER);
  if (bytes > partition.size) throw new Refusal(`${bytes} bytes exceeds ${partition.name} (0x${partition.size.toString(16)})`);
  // 64 hex digits do not fit one packet (4-byte code + 60 bytes), so the digest comes as two INFO
  // lines of 32 digits; hosts concatenate the INFO text of the command.
  const digest = await handset.partitions.sha256(partition.name, bytes);
  info(digest.slice(0, 32));
  info(digest.slice(32));
}

function fuseRead(handset: SimHandset, args: readonly string[], info: (text: string) => void): void {
  const { bank, word } = fuseAddress(expectArgs(args, 2, 'usage: oem fuse read <bank> <word>'));
  const value = handset.state.fuseWord(bank, word) & ~handset.faults.readbackClearBits(bank, word);
  info(`0x${(value >>> 0).toString(16).padStart(8, '0')}`);
}

async function fuseProg(handset: SimHandset, args: readonly string[]): Promise<void> {
  const [bankText = '', wordText = '', maskText = ''] = expectArgs(args, 3, 'usage: oem fuse prog <bank> <word> <mask>');
  const { bank, word } = fuseAddress([bankText, wordText]);
  const mask = parseNumber(maskText, 'mask', UINT32_MAX);
  if (!handset.state.unlocked) throw new Refusal('fuse programming is not allowed in Lock State');
  await handset.state.programFuse(bank, word, mask);
}

function fuseAddress([bankText, wordText]: readonly string[]): { bank: number; word: number } {
  const bank = parseNumber(bankText ?? '', 'bank', UINT32_MAX);
  const word = parseNumber(wordText ?? '', 'word', UINT32_MAX);
  if (!isFuseAddress(bank, word)) throw new Refusal(`no fuse word ${word} in bank ${bank}`);
  return { bank, word };
}

function expectArgs(args: readonly string[], count: number, usage: string): readonly string[] {
  if (args.length !== count) throw new Refusal(usage);
  return args;
}

/** `0x…` hex or decimal, as the contract allows; anything else (signs, spaces, 1e9, overflow) is refused. */
export function parseNumber(text: string, what: string, max: number): number {
  const value = /^0[xX][0-9a-fA-F]{1,16}$/.test(text) ? Number.parseInt(text.slice(2), 16) : /^[0-9]{1,20}$/.test(text) ? Number(text) : Number.NaN;
  if (Number.isNaN(value)) throw new Refusal(`${what} must be decimal or 0x hex`);
  if (!Number.isSafeInteger(value) || value > max) throw new Refusal(`${what} is out of range`);
  return value;
}
