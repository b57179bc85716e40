// JSON read one way only (signed files, and every file people write, through read-json-file.ts).
// JSON.parse keeps the last of two equal keys while other readers keep the first or refuse, so a
// signed manifest holding `"lockBootloader": true` and then `"lockBootloader": false` would show an
// auditor one policy and give the station another. Such text is refused instead.

/** A key that appears twice in one object; `field` names it the way a person reads the JSON. */
export class DuplicateKeyError extends Error {
  readonly field: string;
  constructor(field: string) {
    super(`the field ${field} appears twice in one object`);
    this.name = 'DuplicateKeyError';
    this.field = field;
  }
}

/**
 * Decodes UTF-8 (fatally) and parses JSON, refusing duplicate keys. Throws the decoder's or
 * JSON.parse's error for malformed text, DuplicateKeyError for a repeated key.
 */
export function parseStrictJson(bytes: Uint8Array): unknown {
  // The default decoder drops a leading byte-order mark, so the text parsed would not be the bytes
  // signed; JSON has none (RFC 8259 §8.1) and other readers (Python's json.loads) refuse it.
  const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  if (text.startsWith('\uFEFF')) throw new SyntaxError('it starts with a UTF-8 byte-order mark (EF BB BF), which JSON does not allow');
  const value: unknown = JSON.parse(text);
  const duplicate = firstDuplicateKey(text);
  if (duplicate !== null) throw new DuplicateKeyError(duplicate);
  return value;
}

interface Container {
  /** Keys seen so far for an object; null for an array. */
  readonly keys: Set<string> | null;
  readonly field: string;
  key: string;
  index: number;
}

/** Scans text that JSON.parse accepted, so its structure is known to be well formed. */
function firstDuplicateKey(text: string): string | null {
  const stack: Container[] = [];
  for (let at = 0; at < text.length; at++) {
    const char = text[at];
    const top = stack.at(-1);
    if (char === '{' || char === '[') {
      stack.push({ keys: char === '{' ? new Set() : null, field: top ? childField(top) : '', key: '', index: 0 });
    } else if (char === '}' || char === ']') {
      stack.pop();
    } else if (char === ',' && top && !top.keys) {
      top.index += 1;
    } else if (char === '"') {
      const end = endOfString(text, at);
      if (top?.keys && isFollowedByColon(text, end + 1)) {
        const key = JSON.parse(text.slice(at, end + 1)) as string;
        if (top.keys.has(key)) return joinField(top.field, key);
        top.keys.add(key);
        top.key = key;
      }
      at = end;
    }
  }
  return null;
}

function childField(parent: Container): string {
  return parent.keys ? joinField(parent.field, parent.key) : `${parent.field}[${parent.index}]`;
}

function joinField(field: string, key: string): string {
  return field === '' ? key : `${field}.${key}`;
}

/** Index of the quote that closes the string opened at `start`. */
function endOfString(text: string, start: number): number {
  let at = start + 1;
  while (text[at] !== '"') at += text[at] === '\\' ? 2 : 1;
  return at;
}

function isFollowedByColon(text: string, from: number): boolean {
  let at = from;
  while (text[at] === ' ' || text[at] === '\t' || text[at] === '\n' || text[at] === '\r') at++;
  return text[at] === ':';
}
