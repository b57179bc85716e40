// Ed25519 signing keys. A key's id is its fingerprint: the SHA-256 of its SubjectPublicKeyInfo
// DER, in hex, so an id can be recomputed from the PEM by anyone (`openssl pkey -pubin -outform
// DER | sha256sum`).
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { KeyFileErrorCode } from '../../shared/bundle.ts';
import { CodedError, type CodedErrorOptions } from '../../shared/coded-error.ts';
import { describeFailure } from '../../shared/describe-failure.ts';
import { displaySafe } from '../../shared/untrusted.ts';

/** A PEM key file is a few hundred bytes; a large one is not a key. */
export const MAX_KEY_FILE_BYTES = 64 * 1024;

export class KeyFileError extends CodedError<KeyFileErrorCode> {
  constructor(code: KeyFileErrorCode, message: string, options?: CodedErrorOptions) {
    super(code, message, options);
    this.name = 'KeyFileError';
  }
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

export interface GeneratedKeyPair {
  readonly keyId: string;
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
}

export function generateSigningKeyPair(): GeneratedKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    keyId: keyIdOf(publicKey),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export type ParsedKey = { readonly kind: 'public'; readonly key: KeyObject } | { readonly kind: 'private'; readonly key: KeyObject };

/** Parses one PEM file's text; `where` names the file in errors, already escaped for display. Only Ed25519 keys are accepted. */
export function parseKeyPem(text: string, where: string): ParsedKey {
  if (text.length > MAX_KEY_FILE_BYTES) {
    throw new KeyFileError('KEY_FILE_INVALID', `${where} is ${text.length} bytes: not a PEM key.`, {
      detail: 'KEY_FILE_TOO_LARGE',
      params: { file: where, bytes: String(text.length) },
    });
  }
  const isPrivate = /-----BEGIN (ENCRYPTED )?PRIVATE KEY-----/.test(text);
  let key: KeyObject;
  try {
    key = isPrivate ? createPrivateKey({ key: text, format: 'pem' }) : createPublicKey({ key: text, format: 'pem' });
  } catch (error) {
    throw new KeyFileError('KEY_FILE_INVALID', `${where} is not a readable PEM key (${describeFailure(error, 120)}). Expected an Ed25519 key written by 'lockstep keys generate'.`, {
      cause: error,
      detail: 'KEY_FILE_NOT_PEM',
      params: { file: where },
    });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    const type = displaySafe(String(key.asymmetricKeyType), 20);
    throw new KeyFileError('KEY_FILE_INVALID', `${where} holds a ${type} key; bundles are signed with Ed25519 keys only ('lockstep keys generate').`, {
      detail: 'KEY_FILE_NOT_ED25519',
      params: { file: where, type },
    });
  }
  return { kind: isPrivate ? 'private' : 'public', key };
}
