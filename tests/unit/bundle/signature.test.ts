import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEMO_KEY_LABEL } from '../../../src/shared/bundle.ts';
import { demoKey } from '../../../src/main/bundle/demo-key.ts';
import type { BundleError } from '../../../src/main/bundle/errors.ts';
import { keyIdOf } from '../../../src/main/bundle/keys.ts';
import { checkSignatures, signManifest } from '../../../src/main/bundle/signature.ts';
import type { TrustedKey, TrustStore } from '../../../src/main/bundle/trust-store.ts';

const manifest = new TextEncoder().encode('{"schemaVersion":1}\n');

function newKey(label: string, demo = false) {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const trusted: TrustedKey = { keyId: keyIdOf(publicKey), publicKey, label, demo };
  return { privateKey, trusted };
}

function store(keys: readonly TrustedKey[], demo = false): TrustStore {
  return { keys: new Map(keys.map((key) => [key.keyId, key])), demo, warnings: [] };
}

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return `${(error as BundleError).code}: ${(error as Error).message}`;
  }
  return 'no error';
}

describe('bundle signatures', () => {
  it('names a key by the SHA-256 of its SubjectPublicKeyInfo DER', () => {
    const { trusted } = newKey('k');
    expect(trusted.keyId).toBe(createHash('sha256').update(trusted.publicKey.export({ type: 'spki', format: 'der' })).digest('hex'));
  });

  it('accepts a rotation: one signature by a retired (untrusted) key, one by the current trusted key', () => {
    const retired = newKey('retired');
    const current = newKey('current');
    const file = signManifest(manifest, [retired.privateKey, current.privateKey]);
    expect(checkSignatures(manifest, file, store([current.trusted]))).toEqual({ keyId: current.trusted.keyId, label: 'current', demo: false });
  });

  it('prefers a production signer over the demo key when both signed', () => {
    const real = newKey('real');
    const demo = demoKey();
    const file = signManifest(manifest, [demo.privateKey, real.privateKey]);
    const trust = store([{ keyId: demo.keyId, publicKey: demo.publicKey, label: DEMO_KEY_LABEL, demo: true }, real.trusted], true);
    expect(checkSignatures(manifest, file, trust).label).toBe('real');
  });

  it('refuses a bundle signed only by the demo key outside demo mode, with its own code', () => {
    const file = signManifest(manifest, [demoKey().privateKey]);
    expect(codeOf(() => checkSignatures(manifest, file, store([])))).toMatch(/^DEMO_KEY_NOT_TRUSTED: .*DEMO KEY — NOT FOR PRODUCTION/);
  });

  it('derives the same published demo key every time', () => {
    expect(demoKey().keyId).toBe(demoKey().keyId);
    expect(demoKey().keyId).toBe('9f035dc811648987e2e470bbba04c1f811e830ff726a1caf9215b94ba285f79f');
  });

  it('tells unsigned, unknown key, bad signature and a malformed signature file apart', () => {
    const key = newKey('k');
    const trust = store([key.trusted]);
    expect(codeOf(() => checkSignatures(manifest, null, trust))).toMatch(/^UNSIGNED: /);
    const empty = new TextEncoder().encode(JSON.stringify({ format: 'lockstep-bundle-signatures', version: 1, signatures: [] }));
    expect(codeOf(() => checkSignatures(manifest, empty, trust))).toMatch(/^UNSIGNED: manifest\.sig holds no signature/);
    expect(codeOf(() => checkSignatures(manifest, signManifest(manifest, [newKey('x').privateKey]), trust))).toMatch(/^UNKNOWN_KEY: /);
    const tampered = new TextEncoder().encode('{"schemaVersion":2}\n');
    expect(codeOf(() => checkSignatures(tampered, signManifest(manifest, [key.privateKey]), trust))).toMatch(/^BAD_SIGNATURE: /);
    expect(codeOf(() => checkSignatures(manifest, new TextEncoder().encode('=cmd|/c calc'), trust))).toMatch(/^SIGNATURE_FILE_INVALID: manifest\.sig is not valid JSON/);
    const doubled = new TextDecoder().decode(signManifest(manifest, [key.privateKey])).replace('"version": 1,', '"version": 1,\n  "signatures": [],');
    expect(codeOf(() => checkSignatures(manifest, new TextEncoder().encode(doubled), trust))).toMatch(/^SIGNATURE_FILE_INVALID: manifest\.sig gives the field signatures twice/);
    const short = JSON.parse(new TextDecoder().decode(signManifest(manifest, [key.privateKey])));
    short.signatures[0].signature = Buffer.alloc(10).toString('base64');
    expect(codeOf(() => checkSignatures(manifest, new TextEncoder().encode(JSON.stringify(short)), trust))).toMatch(/^SIGNATURE_FILE_INVALID: .*signatures\[0\]\.signature: an Ed25519 signature is 64 bytes/);
  });

  it('does not accept a signature listed under another trusted key id', () => {
    const signer = newKey('signer');
    const victim = newKey('victim');
    const file = JSON.parse(new TextDecoder().decode(signManifest(manifest, [signer.privateKey])));
    file.signatures[0].keyId = victim.trusted.keyId;
    expect(codeOf(() => checkSignatures(manifest, new TextEncoder().encode(JSON.stringify(file)), store([victim.trusted])))).toMatch(/^BAD_SIGNATURE: /);
  });

  it('refuses a bundle where one trusted key\'s signature fails, even beside a valid one', () => {
    const good = newKey('good');
    const other = newKey('other');
    const file = JSON.parse(new TextDecoder().decode(signManifest(manifest, [good.privateKey, other.privateKey])));
    file.signatures[1].signature = file.signatures[0].signature;
    const forged = new TextEncoder().encode(JSON.stringify(file));
    expect(codeOf(() => checkSignatures(manifest, forged, store([good.trusted, other.trusted])))).toMatch(new RegExp(`^BAD_SIGNATURE: the signature by trusted key ${other.trusted.keyId.slice(0, 16)} does not match`));
    expect(checkSignatures(manifest, forged, store([good.trusted])).keyId).toBe(good.trusted.keyId);
  });
});
