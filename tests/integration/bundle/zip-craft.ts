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

/** Overwrites the declared uncompressed size of `name` in its central directory record and local header. */
export function declareSize(zip: Buffer, name: string, size: number, field: 'uncompressed' | 'compressed' = 'uncompressed'): Buffer {
  const out = Buffer.from(zip);
  for (let at = out.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])); at >= 0; at = out.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), at + 4)) {
    const nameLength = out.readUInt16LE(at + 28);
    if (out.toString('latin1', at + 46, at + 46 + nameLength) !== name) continue;
    out.writeUInt32LE(size, at + (field === 'uncompressed' ? 24 : 20));
    const local = out.readUInt32LE(at + 42);
    out.writeUInt32LE(size, local + (field === 'uncompressed' ? 22 : 18));
    return out;
  }
  throw new Error(`${name} not in the central directory`);
}
