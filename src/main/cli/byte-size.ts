import { displaySafe } from '../../shared/untrusted.ts';
import { CliError, EXIT_USAGE } from './io.ts';

const UNITS: Readonly<Record<string, number>> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** A size option: decimal or 0x hex bytes, optionally with K, M or G (binary units, `KiB`/`KB` too). */
export function parseByteSize(text: string, option: string): number {
  const match = /^(0x[0-9a-f]+|[0-9]+)(?:([kmg])i?b?)?$/i.exec(text);
  const bytes = match ? Number(match[1]) * (UNITS[(match[2] ?? '').toUpperCase()] ?? 1) : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    throw new CliError(`${option} '${displaySafe(text, 40)}' is not a size in bytes (e.g. 4096, 0x10000000, 64M or 1G)`, EXIT_USAGE);
  }
  return bytes;
}
