// The signed bundle manifest (format reference: docs/bundles.md) and the bundle facts the front
// ends show. Pure zod and types: the parser with its size cap lives in src/main/bundle/manifest.ts.
// Every string here ends up in a fastboot command, a label or a log, so the schema only admits
// characters that are inert in all of them.
import { z } from 'zod';
import { fuseNameSchema, identifierSchema, partitionNameSchema, sha256HexSchema } from './identifiers.ts';

export const MANIFEST_SCHEMA_VERSION = 2;

/** Versions and build ids: compared with what the handset reports and printed on labels. */
const VERSION_TEXT = /^[A-Za-z0-9][A-Za-z0-9._+~-]{0,127}$/;

const identifier = identifierSchema;
const versionText = (what: string) => z.string().regex(VERSION_TEXT, `${what}: 1-128 of A-Z a-z 0-9 . _ + ~ -, starting with a letter or digit`);
const sha256 = sha256HexSchema;
const byteCount = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** A path inside a bundle: '/'-separated segments of letters, digits, '.', '_' and '-'. */
const BUNDLE_PATH = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/**
 * Whether `path` may name a file in a bundle: relative, no '.' or '..' segment, at most 255
 * characters, and only characters that cannot reorder, hide or inject anything where a path is
 * shown (no bidi controls, spaces, backslashes or control bytes). Checked by each container as well
 * as the manifest schema.
 */
export function isSafeBundlePath(path: string): boolean {
  return path.length <= 255 && BUNDLE_PATH.test(path) && path.split('/').every((segment) => segment !== '.' && segment !== '..');
}

/**
 * Which A/B boot slot a partition is written to: unslotted (`none`), the handset's active boot slot, or
 * both. "Slot" alone means the hub port a handset sits in (src/shared/handset.ts).
 */
export const BOOT_SLOT_HANDLING = ['none', 'active', 'both'] as const;
export type BootSlotHandling = (typeof BOOT_SLOT_HANDLING)[number];

export const partitionSchema = z.strictObject({
  name: partitionNameSchema,
  file: z.string().refine(isSafeBundlePath, 'file: a relative path inside the bundle, segments of A-Z a-z 0-9 . _ -, no ".."'),
  size: byteCount,
  sha256,
  sparse: z.boolean(),
  /** What the partition holds after flashing: a sparse image expanded, DONT_CARE counted as zeros. */
  expanded: z.strictObject({ size: byteCount, sha256 }),
  bootSlot: z.enum(BOOT_SLOT_HANDLING),
});
export type ManifestPartition = z.infer<typeof partitionSchema>;

const manifestObjectSchema = z
  .strictObject({
    schemaVersion: z.literal(MANIFEST_SCHEMA_VERSION),
    products: z.array(identifier('product')).min(1).max(64),
    /** `"any"` must be written out: a bundle never fits every revision by omission. */
    hardwareRevisions: z.union([z.literal('any'), z.array(identifier('hardware revision')).min(1).max(256)]),
    version: versionText('version'),
    buildId: versionText('build id'),
    createdAt: z.iso.datetime({ offset: false }),
    minBootloaderVersion: versionText('minimum bootloader version').nullable(),
    rollbackIndex: z.number().int().min(0).max(0xffff_ffff),
    partitions: z.array(partitionSchema).min(1).max(64),
    policy: z.strictObject({
      fuses: z.array(fuseNameSchema).max(64),
      lockBootloader: z.boolean(),
    }),
  })
  .superRefine((manifest, context) => {
    const seen = new Set<string>();
    manifest.policy.fuses.forEach((fuse, index) => {
      if (seen.has(fuse)) context.addIssue({ code: 'custom', path: ['policy', 'fuses', index], message: `fuse ${fuse} is listed twice` });
      seen.add(fuse);
    });
    manifest.partitions.forEach((partition, index) => {
      const raw = !partition.sparse;
      if (raw && (partition.expanded.size !== partition.size || partition.expanded.sha256 !== partition.sha256)) {
        context.addIssue({ code: 'custom', path: ['partitions', index, 'expanded'], message: 'a raw (non-sparse) image expands to itself: size and sha256 must equal the file\'s' });
      }
    });
  });
/**
 * Old-format reader: a schema 1 manifest named each partition's boot slot handling `slot`. Bundles
 * signed then keep verifying (the signature covers the bytes, not this reading of them) and are read
 * as their schema 2 equivalent, so they flash as before.
 */
function fromSchema1(input: unknown): unknown {
  if (typeof input !== 'object' || input === null || (input as { schemaVersion?: unknown }).schemaVersion !== 1) return input;
  const { partitions } = input as { partitions?: unknown };
  const renamed = (partition: unknown): unknown => {
    if (typeof partition !== 'object' || partition === null || !('slot' in partition)) return partition;
    const { slot, ...others } = partition as Record<string, unknown>;
    return { ...others, bootSlot: slot };
  };
  return { ...input, schemaVersion: MANIFEST_SCHEMA_VERSION, partitions: Array.isArray(partitions) ? partitions.map(renamed) : partitions };
}

export const manifestSchema = z.preprocess(fromSchema1, manifestObjectSchema);
export type BundleManifest = z.infer<typeof manifestSchema>;

/** Why a bundle or one of its files was refused. Each bad input has its own code (docs/bundles.md). */
export const BUNDLE_ERROR_CODES = [
  'BUNDLE_NOT_FOUND',
  'CONTAINER_INVALID',
  'MANIFEST_MISSING',
  'MANIFEST_TOO_LARGE',
  'MANIFEST_INVALID',
  'DUPLICATE_PARTITION',
  'UNSIGNED',
  'SIGNATURE_FILE_INVALID',
  'BAD_SIGNATURE',
  'UNKNOWN_KEY',
  'DEMO_KEY_NOT_TRUSTED',
  'UNSAFE_PATH',
  'SYMLINK',
  'DUPLICATE_ENTRY',
  'ZIP_SIZE_MISMATCH',
  'ZIP_UNSUPPORTED',
  'FILE_MISSING',
  'FILE_UNREADABLE',
  'FILE_SIZE_MISMATCH',
  'FILE_HASH_MISMATCH',
  'SPARSE_INVALID',
  'EXPANDED_MISMATCH',
  'CANCELLED',
  'IMAGE_CHANGED',
] as const;
export type BundleErrorCode = (typeof BUNDLE_ERROR_CODES)[number];

/** Why `lockstep bundle create` refused: its options, its output path, or one of its images. */
export const BUNDLE_CREATE_ERROR_CODES = ['CREATE_OPTIONS_INVALID', 'CREATE_OUTPUT_EXISTS', 'CREATE_IMAGE_INVALID', 'CREATE_IMAGE_CHANGED'] as const;
export type BundleCreateErrorCode = (typeof BUNDLE_CREATE_ERROR_CODES)[number];

/** Why a key file (a signing key, a trusted public key, a new key pair's file) or a trust folder cannot be used. */
export const KEY_FILE_ERROR_CODES = ['KEY_FILE_INVALID', 'KEY_FILE_UNREADABLE', 'KEY_FILE_EXISTS', 'KEY_FILE_UNWRITABLE', 'TRUST_FOLDER_UNREADABLE'] as const;
export type KeyFileErrorCode = (typeof KEY_FILE_ERROR_CODES)[number];

/** Why a valid bundle does not fit one handset (precheck). */
export const FIT_PROBLEM_CODES = ['WRONG_PRODUCT', 'WRONG_HARDWARE_REVISION', 'BOOTLOADER_TOO_OLD', 'ROLLBACK'] as const;
export type FitProblemCode = (typeof FIT_PROBLEM_CODES)[number];

export interface FitProblem {
  readonly code: FitProblemCode;
  readonly message: string;
  /** The values the message quotes, escaped, for a front end's words of `code`. */
  readonly params: Readonly<Record<string, string>>;
}

/** The signer of a verified bundle as shown to an operator; `demo` keys are labelled everywhere. */
export interface BundleSigner {
  readonly keyId: string;
  readonly label: string;
  readonly demo: boolean;
}

export interface BundleVerificationProgress {
  readonly partition: string;
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

export const DEMO_KEY_LABEL = 'DEMO KEY — NOT FOR PRODUCTION';
