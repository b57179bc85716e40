// PIN hashing with scrypt. The stored form carries its parameters, so raising the cost later does
// not invalidate existing PINs: `scrypt$<N>$<r>$<p>$<salt base64>$<key base64>`.
import { createHash, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

// N = 2^15, r = 8 costs about 32 MiB and tens of milliseconds per attempt. A PIN has little
// entropy, so the lock-out after repeated failures is the real defence on the station; the cost
// slows an offline attack on a stolen database.
const COST = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

function derive(pin: string, salt: Buffer, N: number, r: number, p: number): Buffer {
  return scryptSync(pin.normalize('NFC'), salt, KEY_LENGTH, { N, r, p, maxmem: 256 * N * r });
}

export function hashPin(pin: string): string {
  const salt = randomBytes(SALT_LENGTH);
  const key = derive(pin, salt, COST.N, COST.r, COST.p);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Constant-time check of a PIN against a stored hash; a malformed hash never matches. */
export function pinMatches(pin: string, stored: string): boolean {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || salt === undefined || key === undefined) return false;
  const expected = Buffer.from(key, 'base64');
  const actual = derive(pin, Buffer.from(salt, 'base64'), Number(n), Number(r), Number(p));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/**
 * A PIN in the form a depot checks without scrypt (docs/depot.md, "Operators changed from a station"):
 * `kdf` names the cost and a fresh salt (stations read it), `verifier` is SHA-256 of the derived key
 * (only the depot holds it). `pinProof` derives the key from a typed PIN; its SHA-256 is the verifier.
 */
export function pinVerifier(pin: string): { kdf: string; verifier: string } {
  const salt = randomBytes(SALT_LENGTH);
  const kdf = ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64')].join('$');
  return { kdf, verifier: createHash('sha256').update(derive(pin, salt, COST.N, COST.r, COST.p)).digest('hex') };
}

/** The key `pinVerifier`'s `kdf` derives from a PIN, in base64; null for a `kdf` that is not one. */
export function pinProof(pin: string, kdf: string): string | null {
  const match = /^scrypt\$([0-9]{1,10})\$([0-9]{1,3})\$([0-9]{1,3})\$([A-Za-z0-9+/]{22}==)$/.exec(kdf);
  if (!match) return null;
  const [N, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  // A depot asking for a cost beyond the station's own would have it spend its memory: refused.
  if (N < 2 || (N & (N - 1)) !== 0 || N > COST.N || r < 1 || r > COST.r || p < 1 || p > COST.p) return null;
  return derive(pin, Buffer.from(match[4] as string, 'base64'), N, r, p).toString('base64');
}

let decoyHash: string | undefined;

/** A hash no PIN matches, checked when the operator does not exist so that both cases take as long. */
export function decoyPinHash(): string {
  decoyHash ??= hashPin(randomBytes(16).toString('hex'));
  return decoyHash;
}
