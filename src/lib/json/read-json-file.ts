// The one way a JSON file people write (a device profile, a label template, the station settings, a
// scenario, the window state) is read: at most a bounded number of bytes, strict JSON (UTF-8, no
// byte-order mark, no key twice: see strict-json.ts), then a zod schema. Every error names the file
// and, where one is at fault, the field, so whoever wrote the file can go straight to it; callers
// wrap it in their own error (and code) and keep the message.
import { describeFailure } from '../../shared/describe-failure.ts';
import { open } from 'node:fs/promises';
import type { z } from 'zod';
import { describeIssues, fieldPath } from '../../shared/zod-issues.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import { DuplicateKeyError, parseStrictJson } from './strict-json.ts';

export type JsonFileProblem = 'missing' | 'unreadable' | 'too-large' | 'not-json' | 'invalid';

export class JsonFileError extends Error {
  readonly problem: JsonFileProblem;
  /** The file, as given (not escaped: the message carries the escaped form). */
  readonly path: string;
  /** The first field at fault (`devices[3].serial`), when the fault is in one field. */
  readonly field: string | null;
  constructor(problem: JsonFileProblem, path: string, message: string, field: string | null = null) {
    super(message);
    this.name = 'JsonFileError';
    this.problem = problem;
    this.path = path;
    this.field = field;
  }
}

export interface JsonFileOptions {
  /** What the file is, for messages: `profile`, `label template`, `scenario file`. */
  readonly what: string;
  /** Larger files are refused before being parsed; the read stops one byte past this. */
  readonly maxBytes: number;
}

const BOM = [0xef, 0xbb, 0xbf];
const READ_CHUNK = 64 * 1024;

/** The file's JSON value, not yet validated: for a caller that must keep the value as written (a settings editor). */
export async function readJsonValue(path: string, options: JsonFileOptions): Promise<unknown> {
  const bytes = await readBounded(path, options);
  const named = `${options.what} ${displaySafe(path)}`;
  if (BOM.every((byte, index) => bytes[index] === byte)) {
    throw new JsonFileError('not-json', path, `${named} starts with a UTF-8 byte-order mark (EF BB BF): save it as UTF-8 without a BOM`);
  }
  try {
    return parseStrictJson(bytes);
  } catch (error) {
    const field = error instanceof DuplicateKeyError ? error.field : null;
    // The parser's message may quote text of the file: escaped like any other hostile text.
    throw new JsonFileError('not-json', path, `${named} is not valid JSON: ${describeFailure(error, 200)}`, field);
  }
}

/** Reads, parses and validates the file; a JsonFileError names the file and each field at fault. */
export async function readJsonFile<Schema extends z.ZodType>(path: string, schema: Schema, options: JsonFileOptions): Promise<z.output<Schema>> {
  return checkJson(await readJsonValue(path, options), schema, path, options.what);
}

/** Validates a value read from (or about to be written to) `path`, with the same errors as readJsonFile. */
export function checkJson<Schema extends z.ZodType>(value: unknown, schema: Schema, path: string, what: string): z.output<Schema> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0];
  throw new JsonFileError('invalid', path, `${what} ${displaySafe(path)} is not valid:\n${describeIssues(parsed.error)}`, first ? fieldPath(first.path) : null);
}

/** At most maxBytes + 1 bytes from one open file: a file growing after a size check cannot slip a larger body past it. */
async function readBounded(path: string, options: JsonFileOptions): Promise<Buffer> {
  const named = `${options.what} ${displaySafe(path)}`;
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'read error';
    throw new JsonFileError(code === 'ENOENT' ? 'missing' : 'unreadable', path, `cannot read ${named}: ${code}`);
  }
  try {
    const { size } = await handle.stat();
    if (size > options.maxBytes) throw tooLarge(path, `${named} is ${size} bytes`, options.maxBytes);
    const chunks: Buffer[] = [];
    let length = 0;
    while (length <= options.maxBytes) {
      const chunk = Buffer.alloc(Math.min(READ_CHUNK, options.maxBytes + 1 - length));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, length);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      length += bytesRead;
    }
    // It grew after the size check: still refused, having read no more than one byte past the limit.
    if (length > options.maxBytes) throw tooLarge(path, `${named} is over ${options.maxBytes} bytes`, options.maxBytes);
    return Buffer.concat(chunks, length);
  } catch (error) {
    if (error instanceof JsonFileError) throw error;
    throw new JsonFileError('unreadable', path, `cannot read ${named}: ${(error as NodeJS.ErrnoException).code ?? 'read error'}`);
  } finally {
    await handle.close();
  }
}

function tooLarge(path: string, found: string, maxBytes: number): JsonFileError {
  return new JsonFileError('too-large', path, `${found}; the limit is ${maxBytes}`);
}
