// Detached Ed25519 signatures over the exact bytes of manifest.json. The signature file may hold
// several signatures (old and new key during a rotation); one valid signature by a trusted key
// is enough.
import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import type { BundleSigner } from '../../shared/bundle.ts';
import type { CodedErrorOptions } from '../../shared/coded-error.ts';
import { keyIdSchema } from '../../shared/identifiers.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import { firstIssue } from '../../shared/zod-issues.ts';
import { demoKey } from './demo-key.ts';
import { BundleError } from './errors.ts';
import { keyIdOf } from './keys.ts';
import { SIGNATURE_FILE } from './layout.ts';
import { DuplicateKeyError, parseStrictJson } from '../../lib/json/strict-json.ts';
import type { TrustedKey, TrustStore } from './trust-store.ts';

const SIGNATURE_FORMAT = 'lockstep-bundle-signatures';
const MAX_SIGNATURES = 16;
const ED25519_SIGNATURE_BYTES = 64;

const signatureFileSchema = z.strictObject({
  format: z.literal(SIGNATURE_FORMAT),
  version: z.literal(1),
  signatures: z
    .array(
      z.strictObject({
        keyId: keyIdSchema,
        algorithm: z.literal('ed25519'),
        signature: z.base64().refine((text) => Buffer.from(text, 'base64').length === ED25519_SIGNATURE_BYTES, 'an Ed25519 signature is 64 bytes'),
      }),
    )
    .max(MAX_SIGNATURES),
});

/** The signature file's bytes: one signature per key, over exactly `manifestBytes`. */
export function signManifest(manifestBytes: Uint8Array, privateKeys: readonly KeyObject[]): Uint8Array {
  const signatures = privateKeys.map((privateKey) => ({
    keyId: keyIdOf(createPublicKey(privateKey)),
    algorithm: 'ed25519' as const,
    signature: sign(null, manifestBytes, privateKey).toString('base64'),
  }));
  return new TextEncoder().encode(`${JSON.stringify({ format: SIGNATURE_FORMAT, version: 1, signatures }, null, 2)}\n`);
}

/**
 * Checks the signature file against the trust store before anything else in the bundle is
 * believed. Returns the signer; a non-demo signer is preferred when both kinds signed.
 */
export function checkSignatures(manifestBytes: Uint8Array, signatureFile: Uint8Array | null, trust: TrustStore): BundleSigner {
  if (signatureFile === null) {
    throw new BundleError('UNSIGNED', `the bundle has no ${SIGNATURE_FILE}: it is unsigned and will not be flashed. Sign it with 'lockstep bundle create --key KEY'.`, {
      detail: 'NO_SIGNATURE_FILE',
      params: { file: SIGNATURE_FILE },
    });
  }
  const signatures = parseSignatureFile(signatureFile);
  if (signatures.length === 0) {
    throw new BundleError('UNSIGNED', `${SIGNATURE_FILE} holds no signature: the bundle is unsigned and will not be flashed.`, { detail: 'SIGNATURE_FILE_EMPTY', params: { file: SIGNATURE_FILE } });
  }
  const trusted = signatures.flatMap((entry) => {
    const key = trust.keys.get(entry.keyId);
    return key ? [{ key, signature: Buffer.from(entry.signature, 'base64') }] : [];
  });
  if (trusted.length === 0) throw untrustedKeys(signatures.map((entry) => entry.keyId), trust);
  // Every signature claiming a trusted key must hold, even beside a valid one: a bad one is a sign of tampering.
  const bad = trusted.filter(({ key, signature }) => !verify(null, manifestBytes, key.publicKey, signature));
  if (bad.length > 0) {
    const keys = bad.map(({ key }) => key.keyId.slice(0, 16)).join(', ');
    throw new BundleError(
      'BAD_SIGNATURE',
      `the signature by trusted key ${keys} does not match manifest.json: the manifest was altered or damaged after signing. Do not flash it; get the bundle again from its publisher.`,
      { params: { keys } },
    );
  }
  const signers = trusted.map(({ key }) => key);
  return describeSigner(signers.find((key) => !key.demo) ?? (signers[0] as TrustedKey));
}

/** The key ids a (well-formed) signature file names, trusted or not. */
export function signingKeyIds(signatureFile: Uint8Array): string[] {
  return parseSignatureFile(signatureFile).map((entry) => entry.keyId);
}

function parseSignatureFile(bytes: Uint8Array): z.infer<typeof signatureFileSchema>['signatures'] {
  let json: unknown;
  try {
    json = parseStrictJson(bytes);
  } catch (error) {
    const field = error instanceof DuplicateKeyError ? displaySafe(error.field, 120) : null;
    const problem = field === null ? 'is not valid JSON' : `gives the field ${field} twice`;
    const words: CodedErrorOptions = field === null ? { detail: 'SIGNATURE_FILE_NOT_JSON', params: { file: SIGNATURE_FILE } } : { detail: 'SIGNATURE_FILE_DUPLICATE_FIELD', params: { file: SIGNATURE_FILE, field } };
    throw new BundleError('SIGNATURE_FILE_INVALID', `${SIGNATURE_FILE} ${problem}: the bundle cannot be checked. Re-sign it with 'lockstep bundle create'.`, words);
  }
  const parsed = signatureFileSchema.safeParse(json);
  if (!parsed.success) {
    const { field, message } = firstIssue(parsed.error);
    throw new BundleError('SIGNATURE_FILE_INVALID', `${SIGNATURE_FILE} is not a Lockstep signature file (field ${field ?? '(top level)'}: ${message}).`, {
      detail: 'SIGNATURE_FILE_SCHEMA',
      params: { file: SIGNATURE_FILE, field: field ?? '(top level)' },
    });
  }
  return parsed.data.signatures;
}

function untrustedKeys(keyIds: readonly string[], trust: TrustStore): BundleError {
  if (!trust.demo && keyIds.includes(demoKey().keyId)) {
    return new BundleError(
      'DEMO_KEY_NOT_TRUSTED',
      'the bundle is signed only with the DEMO KEY — NOT FOR PRODUCTION, which anyone can sign with; it is trusted only in demo mode (--demo). Use a bundle signed by your publisher\'s key.',
    );
  }
  return new BundleError(
    'UNKNOWN_KEY',
    `the bundle is signed by key ${keyIds.join(', ')}, which is not in this station's trust store (${trust.keys.size} key(s)). If you trust the publisher, add their public key with --trust DIR or to resources/keys.`,
    { params: { keys: keyIds.join(', '), count: String(trust.keys.size) } },
  );
}

export function describeSigner(key: TrustedKey): BundleSigner {
  return { keyId: key.keyId, label: key.label, demo: key.demo };
}
