import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/main/records/canonical-json.ts';
import { GENESIS_HASH, chainHash, linkBreak } from '../../../src/main/records/chain.ts';

describe('canonical JSON', () => {
  it('sorts keys by UTF-16 code units at every depth and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: [{ z: null, y: true }], A: 'x', é: 'e' })).toBe('{"A":"x","a":[{"y":true,"z":null}],"b":1,"é":"e"}');
  });

  it('escapes control characters and lone surrogates so every string encodes to valid UTF-8', () => {
    expect(canonicalJson('\u0000\n"\\\ud800\u202E')).toBe('"\\u0000\\n\\"\\\\\\ud800\u202E"');
  });

  it('refuses values without one canonical form', () => {
    expect(() => canonicalJson({ a: 1.5 })).toThrow(/safe integers/);
    expect(() => canonicalJson({ a: 2 ** 60 })).toThrow(/safe integers/);
    expect(() => canonicalJson({ a: undefined })).toThrow(/undefined/);
    expect(() => canonicalJson(new Date(0))).toThrow(/cannot encode/);
  });
});

describe('hash chain', () => {
  it('hashes exactly canonicalJson({ prevHash, record })', () => {
    const record = { seq: 1, serial: 'LS7A1000', imei: '352099001761481' };
    const expected = createHash('sha256').update(canonicalJson({ record, prevHash: GENESIS_HASH })).digest('hex');
    expect(chainHash(GENESIS_HASH, canonicalJson(record))).toBe(expected);
  });

  it('tells a gap, a step backwards and a broken link apart', () => {
    const previous = { seq: 4, prevHash: 'p', hash: 'h4' };
    expect(linkBreak(previous, { seq: 5, prevHash: 'h4', hash: 'h5' })).toBeNull();
    expect(linkBreak(previous, { seq: 7, prevHash: 'x', hash: 'h7' })).toEqual({ kind: 'gap', expectedSeq: 5 });
    expect(linkBreak(previous, { seq: 2, prevHash: 'x', hash: 'h2' })).toEqual({ kind: 'backwards', expectedSeq: 5 });
    expect(linkBreak(previous, { seq: 5, prevHash: 'other', hash: 'h5' })).toEqual({ kind: 'unlinked', expectedSeq: 5 });
  });
});
