// Asset tag patterns: how a batch names the handsets it provisions (`LS-{yyyy}-{seq:06}`). A tag is
// printed as Code 128 and as text, so literal text is limited to characters every scanner and
// printer font reads the same way; the sequence number makes each tag unique across the station.

/** Literal characters a pattern may hold: upper-case letters, digits and - _ . / */
const LITERAL = /^[A-Z0-9_./-]*$/;
const PLACEHOLDER = /\{(yyyy|yy|mm|dd|seq(?::(\d{1,2}))?)\}/g;
const MAX_TAG_CHARS = 32;

export interface TagPattern {
  readonly text: string;
}

/** Checks a pattern: literal text, date parts, and exactly one `{seq}` or `{seq:N}` (zero-padded to N digits). */
export function parseTagPattern(text: string): TagPattern | { readonly problem: string } {
  if (text.length === 0 || text.length > 64) return { problem: 'an asset tag pattern is 1 to 64 characters' };
  const placeholders = [...text.matchAll(PLACEHOLDER)];
  const literal = text.replace(PLACEHOLDER, '');
  if (!LITERAL.test(literal)) return { problem: `an asset tag pattern holds only A-Z 0-9 _ . / - besides {yyyy} {yy} {mm} {dd} {seq:N}; '${literal.slice(0, 40)}' is not allowed` };
  const sequences = placeholders.filter((match) => (match[1] ?? '').startsWith('seq'));
  if (sequences.length !== 1) return { problem: 'an asset tag pattern has exactly one {seq} or {seq:N}, which makes each tag unique' };
  const width = Number(sequences[0]?.[2] ?? 1);
  if (width < 1 || width > 12) return { problem: '{seq:N} pads to 1 to 12 digits' };
  if (formatTag({ text }, new Date(0), 10 ** width - 1).length > MAX_TAG_CHARS) return { problem: `an asset tag is at most ${MAX_TAG_CHARS} characters` };
  return { text };
}

/** The tag for sequence number `seq` on `date` (UTC). */
export function formatTag(pattern: TagPattern, date: Date, seq: number): string {
  const two = (value: number): string => String(value).padStart(2, '0');
  return pattern.text.replace(PLACEHOLDER, (_, name: string, width: string | undefined) => {
    if (name === 'yyyy') return String(date.getUTCFullYear());
    if (name === 'yy') return two(date.getUTCFullYear() % 100);
    if (name === 'mm') return two(date.getUTCMonth() + 1);
    if (name === 'dd') return two(date.getUTCDate());
    return String(seq).padStart(Number(width ?? 1), '0');
  });
}
