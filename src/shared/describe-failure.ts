// The one way an unknown thrown value becomes text for a person. Our own errors already escape the
// hostile values they quote (so their backslashes are left alone here); anything that is still a
// raw control byte, bidi override or lone surrogate, from whatever library or device, is escaped,
// so it never reaches a terminal, a log or the UI raw.
import { CodedError } from './coded-error.ts';
import { capLength, escapeCodePoint, isUnsafeCodePoint, truncationMarker } from './untrusted.ts';

const MAX_MESSAGE_CHARS = 2000;

/** `marker`: how a shortened message says so, when not in the station's English. */
export function describeFailure(error: unknown, limit = MAX_MESSAGE_CHARS, marker = truncationMarker): string {
  const text = capLength(error instanceof Error ? error.message : String(error), limit, marker);
  let out = '';
  for (const char of text) {
    const codePoint = char.codePointAt(0) ?? 0;
    out += isUnsafeCodePoint(codePoint) || (codePoint >= 0xd800 && codePoint <= 0xdfff) ? escapeCodePoint(codePoint) : char;
  }
  return out;
}

/** The stable code an error carries (a BundleError's, a HandsetError's, a fastboot failure's), if any; a system error's errno is not one. */
export function failureCode(error: unknown): string | null {
  return error instanceof CodedError ? error.code : null;
}
