// The station's Ed25519 identity. The private key lives in a 0600 file in the station data dir,
// never in the database, so a copied database cannot sign; the database keeps the public key and
// its fingerprint so the two cannot be swapped silently.
import { describeFailure } from '../../shared/describe-failure.ts';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { displaySafe } from '../../shared/untrusted.ts';
import { RecordsError } from './errors.ts';
import { inWriteTransaction } from './transactions.ts';

export interface StationIdentity {
  /** Raw 32-byte Ed25519 public key, base64. */
  readonly publicKey: string;
  /** SHA-256 of the raw public key, lower-case hex. */
  readonly fingerprint: string;
  readonly publicKeyPem: string;
  /** Ed25519 signature (base64) over the UTF-8 bytes of `message`. */
  readonly sign: (message: string) => string;
}

/** The raw key is the last 32 bytes of an Ed25519 SubjectPublicKeyInfo. */
export function rawPublicKey(key: KeyObject): Buffer {
  return key.export({ format: 'der', type: 'spki' }).subarray(-32);
}

export function publicKeyFromRaw(base64: string): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(base64, 'base64').toString('base64url') }, format: 'jwk' });
}

export function fingerprintOf(rawKey: Buffer): string {
  return createHash('sha256').update(rawKey).digest('hex');
}

/**
 * Writes a new key so that the key file is either absent or complete, even if the station is
 * killed or the disk fills meanwhile: write and fsync a temporary file, then link it into place
 * (link, unlike rename, never replaces a key another station process created first).
 */
function createKeyFile(path: string): KeyObject {
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  const partial = `${path}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const fd = openSync(partial, 'wx', 0o600);
    try {
      writeSync(fd, pem);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    linkSync(partial, path);
    syncDirectory(dirname(path));
  } catch (error) {
    // Another station process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readKeyFile(path);
    const reason = describeFailure(error);
    throw new RecordsError(
      'RECORDS_REFUSED',
      `cannot create the station key ${displaySafe(path)}: ${reason}. Check the data directory's permissions and free space.`,
      { detail: 'STATION_KEY_NOT_CREATED', params: { file: displaySafe(path) } },
    );
  } finally {
    rmSync(partial, { force: true });
  }
  return privateKey;
}

/** Makes a new directory entry durable: a key that signed an export must still exist after a power cut. */
function syncDirectory(directory: string): void {
  if (process.platform === 'win32') return;
  const fd = openSync(directory, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function readKeyFile(path: string): KeyObject {
  if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) {
    const shown = displaySafe(path);
    throw new RecordsError('RECORDS_REFUSED', `the station key ${shown} is readable by other users; run \`chmod 600 ${shown}\` and retry.`, {
      detail: 'STATION_KEY_EXPOSED',
      params: { file: shown },
    });
  }
  try {
    const key = createPrivateKey(readFileSync(path));
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`it is a ${key.asymmetricKeyType ?? 'unknown'} key`);
    return key;
  } catch (error) {
    const reason = describeFailure(error);
    throw new RecordsError('RECORDS_REFUSED', `the station key ${displaySafe(path)} is not an Ed25519 private key (${reason}); restore it from backup.`, {
      detail: 'STATION_KEY_INVALID',
      params: { file: displaySafe(path) },
    });
  }
}

function fileSize(path: string): number | null {
  try {
    return statSync(path).size;
  } catch {
    return null;
  }
}

/** The identity a private key gives: its public key, fingerprint and signatures. */
export function identityOf(privateKey: KeyObject): StationIdentity {
  const publicKey = createPublicKey(privateKey);
  const raw = rawPublicKey(publicKey);
  return {
    publicKey: raw.toString('base64'),
    fingerprint: fingerprintOf(raw),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    sign: (message) => sign(null, Buffer.from(message, 'utf8'), privateKey).toString('base64'),
  };
}

/** Loads the station identity, creating the key and its database row on first run. */
export function loadStationIdentity(db: DatabaseSync, keyPath: string, now: () => Date): StationIdentity {
  const stored = db.prepare('SELECT public_key, fingerprint FROM station_identity WHERE id = 1').get() as
    | { public_key: string; fingerprint: string }
    | undefined;
  const size = fileSize(keyPath);
  if (stored && size === null) {
    throw new RecordsError(
      'RECORDS_REFUSED',
      `the station key ${displaySafe(keyPath)} is missing but this database belongs to station ${stored.fingerprint}. ` +
        'Restore the key file from backup; a new key would make exports unverifiable against the old one.',
      { detail: 'STATION_KEY_MISSING', params: { file: displaySafe(keyPath), station: stored.fingerprint } },
    );
  }
  // An empty key file with no identity in the database is what an older, non-atomic first start
  // left when it was killed: nothing was ever signed with it, so it is replaced.
  const interrupted = !stored && size === 0;
  if (interrupted) rmSync(keyPath);
  const identity = identityOf(size === null || interrupted ? createKeyFile(keyPath) : readKeyFile(keyPath));
  if (stored && stored.fingerprint !== identity.fingerprint) {
    throw new RecordsError(
      'RECORDS_REFUSED',
      `the station key ${displaySafe(keyPath)} (fingerprint ${identity.fingerprint}) ` +
        `is not the key of this database (station ${stored.fingerprint}). Use the data directory the database came from.`,
      { detail: 'STATION_KEY_FOREIGN', params: { file: displaySafe(keyPath), fingerprint: identity.fingerprint, station: stored.fingerprint } },
    );
  }
  if (!stored) {
    inWriteTransaction(db, () =>
      db
        .prepare('INSERT OR IGNORE INTO station_identity (id, public_key, fingerprint, created_at) VALUES (1, ?, ?, ?)')
        .run(identity.publicKey, identity.fingerprint, now().toISOString()),
    );
  }
  return identity;
}
