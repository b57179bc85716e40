import { describe, expect, it } from 'vitest';
import type { BundleError } from '../../../src/main/bundle/errors.ts';
import { parseManifest, serializeManifest } from '../../../src/main/bundle/manifest.ts';

const hash = 'a'.repeat(64);
const valid = {
  schemaVersion: 2,
  products: ['lockstep-ref'],
  hardwareRevisions: 'any',
  version: '1.0.0',
  buildId: '1.0.0-42',
  createdAt: '2026-01-01T00:00:00.000Z',
  minBootloaderVersion: null,
  rollbackIndex: 0,
  partitions: [{ name: 'boot', file: 'images/boot.img', size: 10, sha256: hash, sparse: false, expanded: { size: 10, sha256: hash }, bootSlot: 'active' }],
  policy: { fuses: ['CAMERA_DISABLE'], lockBootloader: true },
};

function failure(value: unknown): string {
  try {
    parseManifest(typeof value === 'string' ? new TextEncoder().encode(value) : new TextEncoder().encode(JSON.stringify(value)));
  } catch (error) {
    return `${(error as BundleError).code}: ${(error as Error).message}`;
  }
  return 'accepted';
}

describe('bundle manifest', () => {
  it('round-trips through its own serialisation', () => {
    const bytes = serializeManifest(valid as never);
    expect(parseManifest(bytes)).toEqual(valid);
  });

  it('names the offending field', () => {
    expect(failure({ ...valid, version: 'has space' })).toMatch(/^MANIFEST_INVALID: .*version: version: 1-128 of/);
    expect(failure({ ...valid, products: [] })).toMatch(/products: /);
    expect(failure({ ...valid, hardwareRevisions: undefined })).toMatch(/hardwareRevisions: /);
    expect(failure({ ...valid, createdAt: 'yesterday' })).toMatch(/createdAt: /);
    expect(failure({ ...valid, partitions: [{ ...valid.partitions[0], bootSlot: 'sideways' }] })).toMatch(/partitions\[0\]\.bootSlot: /);
    expect(failure({ ...valid, partitions: [{ ...valid.partitions[0], name: 'boot:evil' }] })).toMatch(/partitions\[0\]\.name: /);
    expect(failure({ ...valid, policy: { fuses: ['CAMERA_DISABLE', 'CAMERA_DISABLE'], lockBootloader: true } })).toMatch(/policy\.fuses\[1\]: fuse CAMERA_DISABLE is listed twice/);
  });

  it('refuses fields it does not know, so a signed policy cannot carry something the station would ignore', () => {
    expect(failure({ ...valid, policy: { ...valid.policy, skipFuses: true } })).toMatch(/^MANIFEST_INVALID: .*policy: Unrecognized key/);
  });

  it('refuses a key given twice, so the policy the station reads is the one every reader sees', () => {
    const text = JSON.stringify(valid).replace('"lockBootloader":true', '"lockBootloader":true,"lockBootloader":false');
    expect(failure(text)).toMatch(/^MANIFEST_INVALID: manifest\.json gives the field policy\.lockBootloader twice/);
  });

  it('requires a raw image to expand to itself', () => {
    expect(failure({ ...valid, partitions: [{ ...valid.partitions[0], expanded: { size: 11, sha256: hash } }] })).toMatch(/partitions\[0\]\.expanded: a raw/);
  });

  it('escapes hostile field names in its message', () => {
    expect(failure({ ...valid, '\u001b]0;pwned\u0007': 1 })).toContain('\\x1B]0;pwned\\x07');
  });

  it('refuses bytes that are not UTF-8 JSON, duplicates and oversize input with distinct codes', () => {
    expect(failure('{"schemaVersion":')).toMatch(/^MANIFEST_INVALID: manifest\.json is not valid UTF-8 JSON/);
    expect(failure({ ...valid, partitions: [valid.partitions[0], valid.partitions[0]] })).toMatch(/^DUPLICATE_PARTITION: /);
    for (const file of ['/dev/sda', 'images/../../x', 'images\\boot.img', 'images/\u202Egmi.exe', 'C:/boot.img', 'images//boot.img']) {
      expect(failure({ ...valid, partitions: [{ ...valid.partitions[0], file }] })).toMatch(/^UNSAFE_PATH: /);
    }
    expect(failure(' '.repeat(1024 * 1024 + 1))).toMatch(/^MANIFEST_TOO_LARGE: /);
    let invalidUtf8 = 'accepted';
    try {
      parseManifest(Uint8Array.of(0x7b, 0xff, 0x7d));
    } catch (error) {
      invalidUtf8 = (error as BundleError).code;
    }
    expect(invalidUtf8).toBe('MANIFEST_INVALID');
  });
});
