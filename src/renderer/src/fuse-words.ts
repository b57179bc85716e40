// Fuses in words (issue 20 #8): what each one does in the operator's language, its code beside it.
// The words are the language files' `fuseWords`, keyed by fuse code; a bundle or profile may name
// fuses this UI has no words for, and those are shown as their code alone.
import type { TFunction } from 'i18next';
import { FUSE_NAME } from '../../shared/identifiers.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import { formatList } from './format.ts';

/** "CAMERA_DISABLE (permanently disables the camera)"; a code without words, or no fuse name at all, escaped and alone. */
export function fuseInWords(code: string, t: TFunction): string {
  // Only a code of the fuse grammar is looked up: it holds no key or namespace separator, so it names no other text.
  const words = FUSE_NAME.test(code) ? t(`fuseWords.${code}`, { defaultValue: '' }) : '';
  return words === '' ? displaySafe(code, 64) : t('fuseNamed', { code, words });
}

/** Several fuses in words, as a list in the current language. */
export function fusesInWords(codes: readonly string[], t: TFunction): string {
  return formatList(codes.map((code) => fuseInWords(code, t)));
}
