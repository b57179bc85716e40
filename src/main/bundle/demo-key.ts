// The DEMO signing key. Its seed is published here on purpose: anyone can sign with it, so it
// proves nothing, and the trust store accepts it only when demo mode is asked for explicitly.
// Deriving it (rather than shipping a PEM in resources/keys) keeps it out of the production trust
// folder, where a copied file could be mistaken for a real key.
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { keyIdOf } from './keys.ts';

export const DEMO_KEY_SEED_TEXT = 'Lockstep demo signing key v1 - published, NOT FOR PRODUCTION';

/** PKCS#8 wrapping of a raw 32-byte Ed25519 seed (RFC 8410). */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface DemoKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly keyId: string;
}

export function demoKey(): DemoKey {
  const seed = createHash('sha256').update(DEMO_KEY_SEED_TEXT).digest();
  const privateKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, keyId: keyIdOf(publicKey) };
}
