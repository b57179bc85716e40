// Where things live inside a bundle (directory or zip). Only the manifest and its signature have
// fixed names; image files are wherever the signed manifest says, and `bundle create` puts them
// under images/.

export const MANIFEST_FILE = 'manifest.json';
export const SIGNATURE_FILE = 'manifest.sig';

/** A real manifest is a few kilobytes; anything past this is refused before it is parsed. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;
export const MAX_SIGNATURE_FILE_BYTES = 64 * 1024;

/** The file `bundle create` writes for a partition. */
export function imagePathFor(partition: string): string {
  return `images/${partition}.img`;
}

/** Large reads keep hashing close to the disk's speed (see bench/bundle-verify.bench.ts). */
export const READ_CHUNK_BYTES = 4 * 1024 * 1024;
