// The canonical encoding that record hashes and chain-head signatures are computed over. It is the
// subset of RFC 8785 (JSON Canonicalization Scheme) that our records need: objects with keys
// sorted by UTF-16 code units, no whitespace, strings escaped as ECMAScript JSON.stringify does
// (which escapes lone surrogates, so any JS string encodes to valid UTF-8), and numbers restricted
// to safe integers so that no float formatting question can arise in another language.
import { RecordsError } from './errors.ts';

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RecordsError('RECORDS_REFUSED', `canonical JSON holds only safe integers, not ${value}`, {
      detail: 'CANONICAL_NUMBER',
      params: { value: String(value) },
    });
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  throw new RecordsError('RECORDS_REFUSED', `canonical JSON cannot encode a ${typeof value}`, { detail: 'CANONICAL_TYPE', params: { type: typeof value } });
}
