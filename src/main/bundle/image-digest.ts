// One read of an image file gives everything the manifest records about it: size, SHA-256,
// checkpoint digests and, for a sparse image, the expanded size and SHA-256.
import { SparseFormatError } from '../../lib/sparse/reader.ts';
import { PrefixDigester, type FileDigests } from './prefix-digest.ts';
import { ExpandedSizeError, expandedDigest, type ExpandedDigest } from './sparse-digest.ts';

export interface ImageDigest {
  readonly file: FileDigests;
  /** For a sparse read: what it expands to, or why it could not be expanded. */
  readonly expanded: ExpandedDigest | SparseFormatError | ExpandedSizeError | null;
}

export interface ImageDigestOptions {
  readonly sparse: boolean;
  /** Stop expanding as soon as the sparse header declares another size. */
  readonly expectedExpandedSize?: number;
  /** Sees each chunk after it was hashed; throwing stops the read (cancellation, size limits). */
  readonly onChunk?: (chunk: Uint8Array, bytesSoFar: number) => void;
}

export async function digestImage(source: AsyncIterable<Uint8Array>, options: ImageDigestOptions): Promise<ImageDigest> {
  const digester = new PrefixDigester();
  async function* hashed(): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      digester.update(chunk);
      options.onChunk?.(chunk, digester.size);
      yield chunk;
    }
  }
  const stream = hashed();
  let expanded: ImageDigest['expanded'] = null;
  if (options.sparse) {
    try {
      expanded = await expandedDigest(withoutEarlyClose(stream), options.expectedExpandedSize);
    } catch (error) {
      if (!(error instanceof SparseFormatError || error instanceof ExpandedSizeError)) {
        await stream.return(undefined);
        throw error;
      }
      expanded = error;
    }
  }
  // Read to the end even when the sparse structure is bad, so the file's own hash is always known.
  for await (const chunk of stream) void chunk;
  return { file: digester.finish(), expanded };
}

/**
 * The sparse reader closes its source when it stops early (a malformed image, a header declaring
 * another size); the file must still be hashed to its end, or a large image would be reported as
 * truncated at the chunk where the sparse structure went wrong.
 */
function withoutEarlyClose(stream: AsyncGenerator<Uint8Array>): AsyncIterable<Uint8Array> {
  return { [Symbol.asyncIterator]: () => ({ next: () => stream.next() }) };
}
