// Builds zips the way an attacker would: yazl writes a well-formed zip, then names and size fields
// are patched in place, since yazl (rightly) refuses to write such entries itself.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import yazl from 'yazl';

export interface CraftEntry {
  readonly name: string;
  readonly data: Buffer;
  readonly compress?: boolean;
  readonly mode?: number;
}

export async function zipBytes(entries: readonly CraftEntry[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const entry of entries) zip.addBuffer(entry.data, entry.name, { compress: entry.compress ?? false, mode: entry.mode ?? 0o100644, mtime: new Date(0) });
  zip.end();
  const parts: Buffer[] = [];
  for await (const part of zip.outputStream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** Every file of a directory bundle, as zip entries. */
export function entriesOf(dir: string): CraftEntry[] {
  const walk = (at: string): string[] =>
    readdirSync(at).flatMap((name) => (statSync(join(at, name)).isDirectory() ? walk(join(at, name)) : [join(at, name)]));
  return walk(dir).map((path) => ({ name: relative(dir, path), data: readFileSync(path) }));
}

/** Replaces a name in both the local and the central header (same length, so offsets hold). */
export function renameEntry(zip: Buffer, from: string, to: string): Buffer {
  if (from.length !== to.length) throw new Error('names must have the same length');
  const out = Buffer.from(zip);
  let at = out.indexOf(from);
  let count = 0;
  while (at >= 0) {
    out.write(to, at, 'latin1');
    count += 1;
    at = out.indexOf(from, at + 1);
  }
  if (count === 0) throw new Error(`${from} not found`);
  return out;
}

/** Where `name`'s central directory record and local header start. */
function headersOf(zip: Buffer, name: string): { central: number; local: number } {
  const signature = Buffer.from([0x50, 0x4b, 0x01, 0x02]);
  for (let at = zip.indexOf(signature); at >= 0; at = zip.indexOf(signature, at + 4)) {
    const nameLength = zip.readUInt16LE(at + 28);
    if (zip.toString('latin1', at + 46, at + 46 + nameLength) === name) return { central: at, local: zip.readUInt32LE(at + 42) };
  }
  throw new Error(`${name} not in the central directory`);
}

/** Overwrites the declared (un)compressed size of `name` in its central directory record and local header. */
export function declareSize(zip: Buffer, name: string, size: number, field: 'uncompressed' | 'compressed' = 'uncompressed'): Buffer {
  const out = Buffer.from(zip);
  const { central, local } = headersOf(out, name);
  out.writeUInt32LE(size, central + (field === 'uncompressed' ? 24 : 20));
  out.writeUInt32LE(size, local + (field === 'uncompressed' ? 22 : 18));
  return out;
}

/** Declares another compression method for `name` (e.g. 12, bzip2). */
export function declareMethod(zip: Buffer, name: string, method: number): Buffer {
  const out = Buffer.from(zip);
  const { central, local } = headersOf(out, name);
  out.writeUInt16LE(method, central + 10);
  out.writeUInt16LE(method, local + 8);
  return out;
}
