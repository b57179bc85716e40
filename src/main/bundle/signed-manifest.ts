// Reading a bundle's manifest the only safe way round: size cap, then signature, then schema.
import type { BundleManifest, BundleSigner } from '../../shared/bundle.ts';
import type { BundleContainer } from './container.ts';
import { BundleError } from './errors.ts';
import { MANIFEST_FILE, MAX_MANIFEST_BYTES, MAX_SIGNATURE_FILE_BYTES, SIGNATURE_FILE } from './layout.ts';
import { manifestSha256, parseManifest } from './manifest.ts';
import { checkSignatures } from './signature.ts';
import type { TrustStore } from './trust-store.ts';

export interface SignedManifest {
  readonly manifest: BundleManifest;
  /** The exact bytes the signature covers. */
  readonly bytes: Uint8Array;
  readonly sha256: string;
  readonly signer: BundleSigner;
}

export async function readSignedManifest(container: BundleContainer, trust: TrustStore): Promise<SignedManifest> {
  const bytes = await container.readSmallFile(MANIFEST_FILE, MAX_MANIFEST_BYTES, (size) =>
    new BundleError('MANIFEST_TOO_LARGE', `${MANIFEST_FILE} is ${size} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit: this is not a bundle the station will read.`),
  );
  if (!bytes) throw new BundleError('MANIFEST_MISSING', `${container.location} has no ${MANIFEST_FILE}: it is not a Lockstep bundle.`);
  const signatureFile = await container.readSmallFile(SIGNATURE_FILE, MAX_SIGNATURE_FILE_BYTES, (size) =>
    new BundleError('SIGNATURE_FILE_INVALID', `${SIGNATURE_FILE} is ${size} bytes, over the ${MAX_SIGNATURE_FILE_BYTES}-byte limit: not a signature file.`),
  );
  const signer = checkSignatures(bytes, signatureFile, trust);
  return { manifest: parseManifest(bytes), bytes, sha256: manifestSha256(bytes), signer };
}
