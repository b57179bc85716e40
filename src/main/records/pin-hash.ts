// PIN hashing with scrypt. The stored form carries its parameters, so raising the cost later does
// not invalidate existing PINs: `scrypt$<N>$<r>$<p>$<salt base64>$<key base64>`.
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

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

let decoyHash: string | undefined;

/** A hash no PIN matches, checked when the operator does not exist so that both cases take as long. */
export function decoyPinHash(): string {
  decoyHash ??= hashPin(randomBytes(16).toString('hex'));
  return decoyHash;
}
