// Reading a bundle's manifest the only safe way round: size cap, then signature, then schema.
import type { BundleManifest, BundleSigner } from '../../shared/bundle.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import type { BundleContainer } from './container.ts';
import { BundleError } from './errors.ts';
import { MANIFEST_FILE, MAX_MANIFEST_BYTES, MAX_SIGNATURE_FILE_BYTES, SIGNATURE_FILE } from './layout.ts';
import { manifestSha256, manifestTooLarge, parseManifest } from './manifest.ts';
import { checkSignatures, signingKeyIds } from './signature.ts';
import type { TrustStore } from './trust-store.ts';

export interface SignedManifest {
  readonly manifest: BundleManifest;
  /** The exact bytes the signature covers. */
  readonly bytes: Uint8Array;
  readonly sha256: string;
  readonly signer: BundleSigner;
}

export async function readSignedManifest(container: BundleContainer, trust: TrustStore): Promise<SignedManifest> {
  const { bytes, signatureFile } = await readManifestFiles(container);
  const signer = checkSignatures(bytes, signatureFile, trust);
  return { manifest: parseManifest(bytes), bytes, sha256: manifestSha256(bytes), signer };
}

export interface InspectedManifest {
  readonly sha256: string;
  /** Null when the signature was refused; `signatureProblem` says why. */
  readonly signer: BundleSigner | null;
  readonly signatureProblem: BundleError | null;
  /** Who signed, trusted or not: what an operator needs to decide which key to ask for. */
  readonly signatureKeyIds: readonly string[];
  readonly manifest: BundleManifest;
}

/**
 * For `bundle inspect`: the manifest even when its signature is refused, so an operator can see
 * what a bundle claims and who signed it. The manifest still passes the schema before it is shown;
 * the caller must present an unsigned manifest as untrusted.
 */
export async function inspectManifest(container: BundleContainer, trust: TrustStore): Promise<InspectedManifest> {
  const { bytes, signatureFile } = await readManifestFiles(container);
  let signer: BundleSigner | null = null;
  let signatureProblem: BundleError | null = null;
  try {
    signer = checkSignatures(bytes, signatureFile, trust);
  } catch (error) {
    if (!(error instanceof BundleError)) throw error;
    signatureProblem = error;
  }
  const signatureKeyIds = signatureFile && signatureProblem?.code !== 'SIGNATURE_FILE_INVALID' ? signingKeyIds(signatureFile) : [];
  return { sha256: manifestSha256(bytes), signer, signatureProblem, signatureKeyIds, manifest: parseManifest(bytes) };
}

async function readManifestFiles(container: BundleContainer): Promise<{ bytes: Uint8Array; signatureFile: Uint8Array | null }> {
  const bytes = await container.readSmallFile(MANIFEST_FILE, MAX_MANIFEST_BYTES, manifestTooLarge);
  if (!bytes) {
    throw new BundleError('MANIFEST_MISSING', `${displaySafe(container.location)} has no ${MANIFEST_FILE}: it is not a Lockstep bundle.`, {
      params: { path: displaySafe(container.location), file: MANIFEST_FILE },
    });
  }
  const signatureFile = await container.readSmallFile(SIGNATURE_FILE, MAX_SIGNATURE_FILE_BYTES, (size) =>
    new BundleError('SIGNATURE_FILE_INVALID', `${SIGNATURE_FILE} is ${size} bytes, over the ${MAX_SIGNATURE_FILE_BYTES}-byte limit: not a signature file.`, {
      detail: 'SIGNATURE_FILE_TOO_LARGE',
      params: { file: SIGNATURE_FILE, bytes: String(size), limit: String(MAX_SIGNATURE_FILE_BYTES) },
    }),
  );
  return { bytes, signatureFile };
}
