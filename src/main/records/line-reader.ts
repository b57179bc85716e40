// Reads a text file line by line as a stream, refusing lines beyond a bound: a hostile file with
// one endless line must produce an answer, not exhaust memory. Lines must be valid UTF-8.
import { createReadStream } from 'node:fs';
import { describeFailure } from '../../shared/describe-failure.ts';
import { displaySafe } from '../../shared/untrusted.ts';
import { RecordsError } from './errors.ts';

/**
 * One line of the file: its text and whether a line feed ended it (only the last line can lack
 * one), or why its bytes cannot be a line of text, after which nothing more is read.
 */
export type FileLine = { readonly text: string; readonly terminated: boolean } | { readonly unreadable: string };

/**
 * Yields each line as exactly its bytes, so a caller comparing a line with the text it expects
 * compares the file's bytes: a fatal decoder maps valid UTF-8 one to one onto text, and
 * `ignoreBOM` keeps a leading EF BB BF as U+FEFF, which the default (each line being decoded on
 * its own) would silently drop from the start of every line. A file that cannot be read throws.
 */
export async function* readLines(path: string, maxLineBytes: number): AsyncGenerator<FileLine> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let parts: Buffer[] = [];
  let pendingBytes = 0;
  const finish = (terminated: boolean): FileLine => {
    const bytes = Buffer.concat(parts);
    parts = [];
    pendingBytes = 0;
    try {
      return { text: decoder.decode(bytes), terminated };
    } catch {
      return { unreadable: 'is not valid UTF-8' };
    }
  };
  const tooLong: FileLine = { unreadable: `is longer than ${maxLineBytes} bytes` };
  let stream;
  try {
    stream = createReadStream(path);
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      for (let newline = chunk.indexOf(0x0a); newline !== -1; newline = chunk.indexOf(0x0a, start)) {
        parts.push(chunk.subarray(start, newline));
        pendingBytes += newline - start;
        if (pendingBytes > maxLineBytes) break;
        const line = finish(true);
        yield line;
        if ('unreadable' in line) return;
        start = newline + 1;
      }
      parts.push(chunk.subarray(start));
      pendingBytes += chunk.length - start;
      if (pendingBytes > maxLineBytes) {
        yield tooLong;
        return;
      }
    }
  } catch (error) {
    // The UI words the finding: a file that is not there, or one the station cannot read (the system's reason stays in the sentence).
    const detail = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'READ_FILE_MISSING' : 'READ_FAILED';
    throw new RecordsError('RECORDS_REFUSED', `cannot read ${displaySafe(path)}: ${describeFailure(error)}.`, { detail, params: { file: displaySafe(path) } });
  } finally {
    stream?.destroy();
  }
  if (pendingBytes > 0) yield finish(false);
}
