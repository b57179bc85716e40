// A bundle stored as a zip, read through yauzl's central directory and entry streams. The whole
// central directory is checked when the zip is opened, so a zip holding an unsafe name, a
// symlink or a duplicate is refused as a whole, even for entries the manifest does not name.
import { describeFailure } from '../../shared/describe-failure.ts';
import type { Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { isSafeBundlePath } from '../../shared/bundle.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import { sparseSkeleton, type PositionedFile } from '../../lib/sparse/skeleton.ts';
import type { BundleContainer } from './bundle-container.ts';
import { BundleError, fileAccessError } from './errors.ts';

/** A bundle holds a manifest, a signature and a few images; thousands of entries is not a bundle. */
const MAX_ENTRIES = 1024;
const UTF8_NAME_FLAG = 0x800;
const UNIX_HOST = 3;
const FILE_TYPE_MASK = 0o170000;
const SYMLINK_TYPE = 0o120000;
const STORED = 0;
const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const LOCAL_HEADER_SIZE = 30;

export async function openZipContainer(location: string, info: Stats): Promise<BundleContainer> {
  let zip: ZipFile;
  try {
    zip = await yauzl.openPromise(location, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true });
  } catch (error) {
    const unreadable = fileAccessError(`the bundle zip ${displaySafe(location)}`, displaySafe(location), error);
    if (unreadable instanceof BundleError) throw unreadable;
    const reason = describeFailure(error, 120);
    throw new BundleError(
      'CONTAINER_INVALID',
      `${displaySafe(location)} is not a readable zip file (${reason}): pass a bundle directory or a bundle .zip.`,
      { detail: 'ZIP_UNREADABLE', params: { path: displaySafe(location) } },
    );
  }
  let entries: Map<string, Entry>;
  try {
    entries = await readCentralDirectory(zip);
  } catch (error) {
    zip.close();
    throw error;
  }
  const zipIdentity = `zip:${location}:${info.size}:${info.mtimeMs}:${info.dev}:${info.ino}`;
  const entryFor = (path: string): Entry => {
    const entry = entries.get(path);
    if (!entry) {
      throw new BundleError('FILE_MISSING', `the bundle zip has no entry ${displaySafe(path)}, which the manifest names: the bundle is incomplete.`, {
        detail: 'ZIP_ENTRY_MISSING',
        params: { file: displaySafe(path) },
      });
    }
    return entry;
  };
  return {
    kind: 'zip',
    location,
    async readSmallFile(path, maxBytes, tooLarge) {
      const entry = entries.get(path);
      if (!entry) return null;
      if (entry.uncompressedSize > maxBytes) throw tooLarge(entry.uncompressedSize);
      const parts: Uint8Array[] = [];
      for await (const part of entryStream(zip, entry, path)) parts.push(part);
      return Buffer.concat(parts);
    },
    async stat(path) {
      const entry = entryFor(path);
      return {
        size: entry.uncompressedSize,
        identity: `${zipIdentity}:${path}:${entry.relativeOffsetOfLocalHeader}:${entry.crc32}`,
        layoutReadable: entry.compressionMethod === STORED,
      };
    },
    read(path, signal) {
      return entryStream(zip, entryFor(path), path, signal);
    },
    async *readSparseLayout(path) {
      const entry = entryFor(path);
      if (entry.compressionMethod !== STORED) {
        throw new BundleError('CONTAINER_INVALID', `the bundle zip entry ${displaySafe(path)} is deflated: it can only be read from its start.`, {
          detail: 'ZIP_ENTRY_DEFLATED',
          params: { file: displaySafe(path) },
        });
      }
      let file: FileHandle;
      try {
        file = await open(location, 'r');
      } catch (error) {
        throw fileAccessError(`the bundle zip ${displaySafe(location)}`, displaySafe(location), error);
      }
      try {
        yield* sparseSkeleton(await storedEntryData(file, entry, path), entry.uncompressedSize);
      } catch (error) {
        throw fileAccessError(`${displaySafe(path)} in the bundle zip`, displaySafe(path), error);
      } finally {
        await file.close();
      }
    },
    async close() {
      zip.close();
    },
  };
}

function readCentralDirectory(zip: ZipFile): Promise<Map<string, Entry>> {
  if (zip.entryCount > MAX_ENTRIES) {
    const message = `the bundle zip holds ${zip.entryCount} entries, more than a bundle ever needs (${MAX_ENTRIES}): refused.`;
    return Promise.reject(new BundleError('CONTAINER_INVALID', message, { detail: 'ZIP_TOO_MANY_ENTRIES', params: { count: String(zip.entryCount), limit: String(MAX_ENTRIES) } }));
  }
  return new Promise((resolve, reject) => {
    const entries = new Map<string, Entry>();
    zip.on('entry', (entry: Entry) => {
      try {
        const name = checkedName(entry);
        if (name !== null) {
          if (entries.has(name)) {
            const message = `the bundle zip holds two entries named ${displaySafe(name)}: which one would be flashed is ambiguous, so the zip is refused.`;
            throw new BundleError('DUPLICATE_ENTRY', message, { params: { file: displaySafe(name) } });
          }
          entries.set(name, entry);
        }
        zip.readEntry();
      } catch (error) {
        reject(error);
      }
    });
    zip.on('end', () => resolve(entries));
    zip.on('error', (error: Error) => reject(zipError(error, 'the zip directory')));
    zip.readEntry();
  });
}

/** The entry's name once proven safe; null for a directory entry. */
function checkedName(entry: Entry): string | null {
  const raw = entry.fileNameRaw;
  let name: string;
  try {
    if ((entry.generalPurposeBitFlag & UTF8_NAME_FLAG) === 0 && raw.some((byte) => byte >= 0x80)) throw new Error('not ASCII');
    // The default decoder drops a leading BOM: an entry unzip extracts as "\uFEFFmanifest.json" would be read as the manifest.
    name = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw);
  } catch {
    throw new BundleError('UNSAFE_PATH', 'the bundle zip holds an entry whose name is neither ASCII nor flagged UTF-8: refused.', { detail: 'ZIP_NAME_NOT_UTF8' });
  }
  const isDirectory = name.endsWith('/');
  const path = isDirectory ? name.slice(0, -1) : name;
  if (!isSafeBundlePath(path)) {
    throw new BundleError('UNSAFE_PATH', `the bundle zip holds the entry ${displaySafe(name)}, which is absolute, contains "..", or has forbidden characters: refused.`, {
      detail: 'ZIP_UNSAFE_NAME',
      params: { file: displaySafe(name) },
    });
  }
  if (entry.versionMadeBy >> 8 === UNIX_HOST && ((entry.externalFileAttributes >>> 16) & FILE_TYPE_MASK) === SYMLINK_TYPE) {
    throw new BundleError('SYMLINK', `the bundle zip entry ${displaySafe(name)} is a symbolic link: bundles must hold real files only. Refused.`, {
      detail: 'ZIP_SYMLINK',
      params: { file: displaySafe(name) },
    });
  }
  if (entry.isEncrypted()) {
    throw new BundleError('ZIP_UNSUPPORTED', `the bundle zip entry ${displaySafe(name)} is encrypted: bundles are signed, not encrypted. Rebuild the zip without a password.`, {
      detail: 'ZIP_ENCRYPTED',
      params: { file: displaySafe(name) },
    });
  }
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
    throw new BundleError('ZIP_UNSUPPORTED', `the bundle zip entry ${displaySafe(name)} uses compression method ${entry.compressionMethod}; only stored and deflated entries are read.`, {
      detail: 'ZIP_COMPRESSION',
      params: { file: displaySafe(name), method: String(entry.compressionMethod) },
    });
  }
  return isDirectory ? null : path;
}

/**
 * A stored entry's bytes as a file of their own: they follow the entry's local header, whose name
 * and extra field lengths may differ from the central directory's. Read unchecked, for planning
 * only (the checked read goes through yauzl), but never outside the zip file.
 */
async function storedEntryData(file: FileHandle, entry: Entry, path: string): Promise<PositionedFile> {
  const header = Buffer.alloc(LOCAL_HEADER_SIZE);
  const { bytesRead } = await file.read(header, 0, LOCAL_HEADER_SIZE, entry.relativeOffsetOfLocalHeader);
  if (bytesRead !== LOCAL_HEADER_SIZE || header.readUInt32LE(0) !== LOCAL_HEADER_SIGNATURE) {
    throw new BundleError('CONTAINER_INVALID', `the bundle zip entry ${displaySafe(path)} has no local header where the zip directory says: a damaged zip.`, {
      detail: 'ZIP_NO_LOCAL_HEADER',
      params: { file: displaySafe(path) },
    });
  }
  const start = entry.relativeOffsetOfLocalHeader + LOCAL_HEADER_SIZE + header.readUInt16LE(26) + header.readUInt16LE(28);
  if (start + entry.uncompressedSize > (await file.stat()).size) {
    throw new BundleError('ZIP_SIZE_MISMATCH', `the bundle zip entry ${displaySafe(path)} runs past the end of the zip: a damaged or malicious zip. Refused.`, {
      detail: 'ZIP_ENTRY_PAST_END',
      params: { file: displaySafe(path) },
    });
  }
  return { read: (buffer, offset, length, position) => file.read(buffer, offset, length, start + position) };
}

/** yauzl checks that an entry yields exactly its declared size; its complaints become ZIP_SIZE_MISMATCH. */
function zipError(error: unknown, what: string): BundleError {
  const file = displaySafe(what);
  const unreadable = fileAccessError(`${file} from the bundle zip`, file, error);
  if (unreadable instanceof BundleError) return unreadable;
  const message = describeFailure(error, 120);
  if (/bytes in the stream|size mismatch/.test(message)) {
    const sentence = `${file} in the bundle zip does not hold the size its header declares (${message}): a damaged or malicious zip. Refused.`;
    return new BundleError('ZIP_SIZE_MISMATCH', sentence, { detail: 'ZIP_ENTRY_SIZE', params: { file } });
  }
  return new BundleError('CONTAINER_INVALID', `cannot read ${file} from the bundle zip (${message}).`, { detail: 'ZIP_ENTRY_UNREADABLE', params: { file } });
}

async function* entryStream(zip: ZipFile, entry: Entry, path: string, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  let stream: Readable;
  try {
    stream = await zip.openReadStreamPromise(entry);
  } catch (error) {
    throw zipError(error, path);
  }
  const abort = (): void => {
    stream.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
  };
  signal?.addEventListener('abort', abort, { once: true });
  try {
    for await (const chunk of stream) yield chunk as Uint8Array;
  } catch (error) {
    throw zipError(error, path);
  } finally {
    signal?.removeEventListener('abort', abort);
    stream.destroy();
  }
}
