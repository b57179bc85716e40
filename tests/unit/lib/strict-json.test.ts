import { describe, expect, it } from 'vitest';
import { DuplicateKeyError, parseStrictJson } from '../../../src/lib/json/strict-json.ts';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

function duplicateIn(text: string): string | null {
  try {
    parseStrictJson(bytes(text));
  } catch (error) {
    if (error instanceof DuplicateKeyError) return error.field;
    throw error;
  }
  return null;
}

describe('strict JSON for signed files', () => {
  it('parses JSON as JSON.parse does when no object repeats a key', () => {
    const text = '{"a":{"b":[1,{"c":"x\\"y:z"}],"d":"{\\\\"},"e":[],"b":{}}';
    expect(parseStrictJson(bytes(text))).toEqual(JSON.parse(text));
    expect(parseStrictJson(bytes('[{"a":1},{"a":2}]'))).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('names a repeated key with its path, however it is spelt or nested', () => {
    expect(duplicateIn('{"policy":{"fuses":[],"lockBootloader":true,"lockBootloader":false}}')).toBe('policy.lockBootloader');
    expect(duplicateIn('{"partitions":[{"a":1},{"sha256":"x", "size":1,\n  "sha256" :"y"}]}')).toBe('partitions[1].sha256');
    expect(duplicateIn('{"version":"1","\\u0076ersion":"2"}')).toBe('version');
    expect(duplicateIn('{"a":{"b":1},"c":{"b":2},"a":3}')).toBe('a');
  });

  it('still refuses text that is not UTF-8 JSON', () => {
    expect(() => parseStrictJson(bytes('{"a":'))).toThrow(SyntaxError);
    expect(() => parseStrictJson(Uint8Array.of(0x22, 0xff, 0x22))).toThrow(TypeError);
    expect(() => parseStrictJson(Uint8Array.of(0xef, 0xbb, 0xbf, ...bytes('{"a":1}')))).toThrow(/starts with a UTF-8 byte-order mark/);
  });
});
