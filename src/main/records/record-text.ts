// Plain-text forms of structured record fields, shared by the CSV, the PDF and the terminal.
import type { FuseReadback } from '../../shared/records.ts';

/** `3:0=0x00000031` per fuse word, separated by spaces. */
export function fuseReadbackText(readback: readonly FuseReadback[]): string {
  return readback.map(({ bank, word, value }) => `${bank}:${word}=0x${value.toString(16).padStart(8, '0')}`).join(' ');
}
