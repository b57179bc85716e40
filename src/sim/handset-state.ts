// The persistent state of one virtual handset that is not partition content: lock state, active
// boot slot and the one-time-programmable fuse words. Both the fastboot engine and (later) the AT
// engine read it, so it lives here and knows nothing of either protocol.
import { describeFailure } from '../shared/describe-failure.ts';
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { replaceFileDurably } from '../lib/storage/replace-file.ts';
import { FUSE_BANKS, FUSE_WORDS_PER_BANK, BOOT_SLOTS, type BootSlot } from './platform.ts';

const STATE_FILE = 'state.json';

/** Old-format reader: a state file of format 1 named the active boot slot `currentSlot`. */
function fromFormat1(input: unknown): unknown {
  if (typeof input !== 'object' || input === null || (input as { format?: unknown }).format !== 1) return input;
  const { currentSlot, ...others } = input as Record<string, unknown>;
  return { ...others, format: 2, currentBootSlot: currentSlot };
}

const savedStateObjectSchema = z
  .object({
    format: z.literal(2),
    serial: z.string(),
    unlocked: z.boolean(),
    currentBootSlot: z.enum(BOOT_SLOTS),
    fuses: z.array(z.number().int().min(0).max(0xffff_ffff)).length(FUSE_BANKS * FUSE_WORDS_PER_BANK),
  })
  .strict();
const savedStateSchema = z.preprocess(fromFormat1, savedStateObjectSchema);
type SavedState = z.infer<typeof savedStateSchema>;

export interface FactoryState {
  readonly unlocked: boolean;
  readonly fuses: readonly { readonly bank: number; readonly word: number; readonly value: number }[];
}

export class StateFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateFileError';
  }
}

/**
 * The folder of one handset under the state directory. The serial number may be hostile (path
 * separators, control bytes, megabytes), so the name is a tame prefix of it plus its hash.
 */
export function handsetDirectoryName(serial: string): string {
  const tame = serial.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 32);
  const digest = createHash('sha256').update(serial, 'utf8').digest('hex').slice(0, 16);
  return `${tame || 'handset'}-${digest}`;
}

export class HandsetState {
  readonly directory: string;
  #saved: SavedState;
  /** Updates run one after another, so two callers can never both read-modify-write the same base. */
  #writes: Promise<unknown> = Promise.resolve();

  private constructor(directory: string, saved: SavedState) {
    this.directory = directory;
    this.#saved = saved;
  }

  /** Loads the handset's saved state, or creates it from its factory state on first use. */
  static async open(stateDir: string, serial: string, factory: FactoryState): Promise<HandsetState> {
    const directory = join(stateDir, handsetDirectoryName(serial));
    await mkdir(directory, { recursive: true, mode: 0o700 });
    const path = join(directory, STATE_FILE);
    let text: string | null = null;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (text === null) {
      const fuses = new Array<number>(FUSE_BANKS * FUSE_WORDS_PER_BANK).fill(0);
      for (const fuse of factory.fuses) fuses[fuseIndex(fuse.bank, fuse.word)] = fuse.value >>> 0;
      const state = new HandsetState(directory, { format: 2, serial, unlocked: factory.unlocked, currentBootSlot: 'a', fuses });
      await state.#save();
      return state;
    }
    // Fuses are one-time programmable: a damaged state file must stop the simulator, never be
    // silently replaced by factory state (which would "unburn" fuses).
    let parsed: SavedState;
    try {
      parsed = savedStateSchema.parse(JSON.parse(text));
    } catch (error) {
      throw new StateFileError(`${path} is damaged (${describeFailure(error, 200)}); delete ${directory} to return this virtual handset to factory state`);
    }
    if (parsed.serial !== serial) throw new StateFileError(`${path} belongs to another serial number; delete ${directory} to reuse it`);
    return new HandsetState(directory, parsed);
  }

  get serial(): string {
    return this.#saved.serial;
  }

  get unlocked(): boolean {
    return this.#saved.unlocked;
  }

  get currentBootSlot(): BootSlot {
    return this.#saved.currentBootSlot;
  }

  fuseWord(bank: number, word: number): number {
    return this.#saved.fuses[fuseIndex(bank, word)] ?? 0;
  }

  /** Durable before it resolves: the caller answers OKAY only afterwards. */
  async setUnlocked(unlocked: boolean): Promise<void> {
    await this.#update(() => ({ unlocked }));
  }

  async setCurrentBootSlot(currentBootSlot: BootSlot): Promise<void> {
    await this.#update(() => ({ currentBootSlot }));
  }

  /** Sets bits (never clears them: OTP) and returns the word's new value, durable before it resolves. */
  async programFuse(bank: number, word: number, mask: number): Promise<number> {
    const index = fuseIndex(bank, word);
    const saved = await this.#update((current) => {
      const fuses = [...current.fuses];
      fuses[index] = ((fuses[index] ?? 0) | mask) >>> 0;
      return { fuses };
    });
    return saved.fuses[index] ?? 0;
  }

  #update(change: (current: SavedState) => Partial<SavedState>): Promise<SavedState> {
    const write = this.#writes.then(async () => {
      const next = { ...this.#saved, ...change(this.#saved) };
      await replaceFileDurably(join(this.directory, STATE_FILE), [`${JSON.stringify(next, null, 2)}\n`], 0o600);
      this.#saved = next;
      return next;
    });
    this.#writes = write.catch(() => undefined);
    return write;
  }

  async #save(): Promise<void> {
    await this.#update(() => ({}));
  }
}

export function isFuseAddress(bank: number, word: number): boolean {
  return Number.isInteger(bank) && Number.isInteger(word) && bank >= 0 && bank < FUSE_BANKS && word >= 0 && word < FUSE_WORDS_PER_BANK;
}

function fuseIndex(bank: number, word: number): number {
  if (!isFuseAddress(bank, word)) throw new RangeError(`no fuse word ${word} in bank ${bank}`);
  return bank * FUSE_WORDS_PER_BANK + word;
}
