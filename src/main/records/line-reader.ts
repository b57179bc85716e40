// Reads a text file line by line as a stream, refusing lines beyond a bound: a hostile file with
// one endless line must produce an error, not exhaust memory. Lines must be valid UTF-8.
import { describeFailure } from '../../shared/describe-failure.ts';
import { createReadStream } from 'node:fs';
import { displaySafe } from '../../shared/untrusted.ts';
import { RecordsError } from './errors.ts';

/**
 * Yields each line as exactly its bytes, so a caller comparing a line with the text it expects
 * compares the file's bytes: a fatal decoder maps valid UTF-8 one to one onto text, and
 * `ignoreBOM` keeps a leading EF BB BF as U+FEFF, which the default (each line being decoded on
 * its own) would silently drop from the start of every line.
 */
export async function* readLines(path: string, maxLineBytes: number): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const shownPath = displaySafe(path);
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
      throw new RecordsError('RECORDS_REFUSED', `line ${lineNumber} of ${shownPath} is not valid UTF-8: the file is damaged or not a Lockstep export.`);
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
        const tooLong = `is longer than ${maxLineBytes} bytes: not a Lockstep export, or damaged`;
        throw new RecordsError('RECORDS_REFUSED', `line ${lineNumber + 1} of ${shownPath} ${tooLong}.`);
      }
    }
  } catch (error) {
    if (error instanceof RecordsError) throw error;
    throw new RecordsError('RECORDS_REFUSED', `cannot read ${shownPath}: ${describeFailure(error)}.`);
  } finally {
    stream?.destroy();
  }
  if (pendingBytes > 0) yield finish();
}
