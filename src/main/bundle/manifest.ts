import { createHash } from 'node:crypto';
import { describeFailure } from '../../shared/describe-failure.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import { fieldPath, issueLines } from '../../shared/zod-issues.ts';
import { isSafeBundlePath, MANIFEST_SCHEMA_VERSION, manifestSchema, type BundleManifest } from '../../shared/bundle.ts';
import { BundleError } from './errors.ts';
import { MAX_MANIFEST_BYTES } from './layout.ts';
import { DuplicateKeyError, parseStrictJson } from '../../lib/json/strict-json.ts';

/** How many schema problems one error message lists; the rest are counted. */
const ISSUES_SHOWN = 5;

/** The exact bytes serialised for signing: what is signed is what is parsed, byte for byte. */
export function serializeManifest(manifest: BundleManifest): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(manifestSchema.parse(manifest), null, 2)}\n`);
}

export function manifestSha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function manifestTooLarge(size: number): BundleError {
  return new BundleError('MANIFEST_TOO_LARGE', `manifest.json is ${size} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit: this is not a bundle the station will read.`, {
    params: { bytes: String(size), limit: String(MAX_MANIFEST_BYTES) },
  });
}

/** Parses manifest bytes (already size-capped by the container) into a validated manifest. */
export function parseManifest(bytes: Uint8Array): BundleManifest {
  if (bytes.length > MAX_MANIFEST_BYTES) throw manifestTooLarge(bytes.length);
  let json: unknown;
  try {
    json = parseStrictJson(bytes);
  } catch (error) {
    if (error instanceof DuplicateKeyError) {
      const field = displaySafe(error.field, 120);
      const message = `manifest.json gives the field ${field} twice: readers disagree on which value counts, so the manifest is refused. Rebuild the bundle with 'lockstep bundle create'.`;
      throw new BundleError('MANIFEST_INVALID', message, { detail: 'MANIFEST_DUPLICATE_FIELD', params: { field } });
    }
    throw new BundleError('MANIFEST_INVALID', `manifest.json is not valid UTF-8 JSON (${describeFailure(error, 120)}). Rebuild the bundle with 'lockstep bundle create'.`, {
      detail: 'MANIFEST_NOT_JSON',
    });
  }
  refuseUnsafePaths(json);
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const { lines, more } = issueLines(parsed.error, ISSUES_SHOWN);
    const andMore = more > 0 ? ` (and ${more} more)` : '';
    // The UI names the first field (the issues' own words are English); the station's sentence lists them all.
    const params = { field: fieldPath(parsed.error.issues[0]?.path ?? []), count: String(parsed.error.issues.length) };
    throw new BundleError('MANIFEST_INVALID', `manifest.json does not match the bundle manifest schema v${MANIFEST_SCHEMA_VERSION}: ${lines.join('; ')}${andMore}. See docs/bundles.md.`, {
      detail: 'MANIFEST_SCHEMA',
      params,
    });
  }
  const names = new Set<string>();
  for (const partition of parsed.data.partitions) {
    if (names.has(partition.name)) {
      throw new BundleError('DUPLICATE_PARTITION', `manifest.json lists partition '${partition.name}' twice; a bundle flashes each partition once. Rebuild the bundle.`, {
        params: { partition: partition.name },
      });
    }
    names.add(partition.name);
  }
  return parsed.data;
}

/** A file path that escapes the bundle gets its own error, ahead of the general schema check. */
function refuseUnsafePaths(json: unknown): void {
  const partitions = (json as { partitions?: unknown } | null)?.partitions;
  if (!Array.isArray(partitions)) return;
  for (const [index, partition] of partitions.entries()) {
    const file = (partition as { file?: unknown } | null)?.file;
    if (typeof file === 'string' && !isSafeBundlePath(file)) {
      const shown = displaySafe(file, 120);
      const message = `manifest.json field partitions[${index}].file names ${shown}, which is absolute, contains "..", or has forbidden characters: a bundle may only name files inside itself. Refused.`;
      throw new BundleError('UNSAFE_PATH', message, { detail: 'MANIFEST_UNSAFE_FILE', params: { field: `partitions[${index}].file`, file: shown } });
    }
  }
}
