// Writing an export file: never half-written under its final name, never over the station's own files.
import { describeFailure } from '../../shared/describe-failure.ts';
import { realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { displaySafe } from '../../shared/untrusted.ts';
import { replaceFileDurably } from '../../lib/storage/replace-file.ts';
import { RecordsError, type RecordsErrorCode } from './errors.ts';

const CHUNK_CHARS = 1 << 16;

/** Groups many short strings into ~64 KiB chunks, so the stream sees few large writes. */
export function* inChunks(parts: Iterable<string>): Generator<string> {
  let pending = '';
  for (const part of parts) {
    pending += part;
    if (pending.length >= CHUNK_CHARS) {
      yield pending;
      pending = '';
    }
  }
  if (pending.length > 0) yield pending;
}

/** `path` with its directory resolved through symlinks, so two spellings of one file compare equal. */
function canonicalPath(path: string): string {
  const absolute = resolve(path);
  let directory = dirname(absolute);
  try {
    directory = realpathSync(directory);
  } catch {
    // A directory that does not exist holds none of the station's files; the write reports it.
  }
  const full = join(directory, basename(absolute));
  return process.platform === 'win32' || process.platform === 'darwin' ? full.toLowerCase() : full;
}

/**
 * Refuses an export path that names one of the station's own files: the rename at the end of an
 * export would replace the records database or the station key with the export.
 */
export function refuseOwnFile(out: string, ownFiles: readonly string[]): void {
  const target = canonicalPath(out);
  if (ownFiles.some((file) => canonicalPath(file) === target)) {
    throw new RecordsError(
      'RECORDS_REFUSED',
      `${displaySafe(out)} would overwrite the station's own records database or key; write the export to another file.`,
      { detail: 'EXPORT_OWN_FILE', params: { file: displaySafe(out) } },
    );
  }
}

/** The codes of the write failures an operator can fix by choosing another folder or freeing space. */
const WRITE_FAILURES: Readonly<Record<string, { readonly code: RecordsErrorCode; readonly why: string }>> = {
  ENOENT: { code: 'EXPORT_FOLDER_MISSING', why: 'does not exist' },
  ENOTDIR: { code: 'EXPORT_FOLDER_MISSING', why: 'does not exist' },
  EACCES: { code: 'EXPORT_NOT_WRITABLE', why: 'cannot be written to by the station' },
  EPERM: { code: 'EXPORT_NOT_WRITABLE', why: 'cannot be written to by the station' },
  EROFS: { code: 'EXPORT_NOT_WRITABLE', why: 'is on a read-only disk' },
  ENOSPC: { code: 'EXPORT_NO_SPACE', why: 'is on a disk that is full' },
  EDQUOT: { code: 'EXPORT_NO_SPACE', why: 'is on a disk whose quota is used up' },
};

/** A Node system error's errno name (ENOENT, EACCES, …), which is not a failure code of ours. */
function systemErrorCode(error: unknown): string | null {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : null;
}

export async function writeFileAtomically(path: string, content: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>): Promise<void> {
  try {
    await replaceFileDurably(path, content, 0o644);
  } catch (error) {
    if (error instanceof RecordsError) throw error;
    // The failure names the folder, not the temporary sibling the write went through.
    const known = WRITE_FAILURES[systemErrorCode(error) ?? ''];
    if (known) {
      const folder = displaySafe(dirname(resolve(path)));
      throw new RecordsError(known.code, `cannot write the export: the folder ${folder} ${known.why}. Choose another folder.`, { params: { folder } });
    }
    const reason = describeFailure(error);
    throw new RecordsError('RECORDS_REFUSED', `cannot write ${displaySafe(path)}: ${reason}. Check the path, its permissions and free space.`, {
      detail: 'EXPORT_WRITE_FAILED',
      params: { file: displaySafe(path) },
    });
  }
}
