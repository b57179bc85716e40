// Reads a text file line by line as a stream, refusing lines beyond a bound: a hostile file with
// one endless line must produce an error, not exhaust memory. Lines must be valid UTF-8.
import { createReadStream } from 'node:fs';
import { RecordsError } from './errors.ts';

export async function* readLines(path: string, maxLineBytes: number): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let parts: Buffer[] = [];
  let pendingBytes = 0;
  let lineNumber = 0;
  const finish = (): string => {
    lineNumber += 1;
    const bytes = Buffer.concat(parts);
    parts = [];
    pendingBytes = 0;
    try {
      return decoder.decode(bytes);
    } catch {
      throw new RecordsError(`line ${lineNumber} of ${path} is not valid UTF-8: the file is damaged or not a Lockstep export.`);
    }
  };
  let stream;
  try {
    stream = createReadStream(path);
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      for (let newline = chunk.indexOf(0x0a); newline !== -1; newline = chunk.indexOf(0x0a, start)) {
        parts.push(chunk.subarray(start, newline));
        pendingBytes += newline - start;
        if (pendingBytes > maxLineBytes) break;
        yield finish();
        start = newline + 1;
      }
      parts.push(chunk.subarray(start));
      pendingBytes += chunk.length - start;
      if (pendingBytes > maxLineBytes) {
        throw new RecordsError(`line ${lineNumber + 1} of ${path} is longer than ${maxLineBytes} bytes: not a Lockstep export, or damaged.`);
      }
    }
  } catch (error) {
    if (error instanceof RecordsError) throw error;
    throw new RecordsError(`cannot read ${path}: ${(error as Error).message}.`);
  } finally {
    stream?.destroy();
  }
  if (pendingBytes > 0) yield finish();
}
