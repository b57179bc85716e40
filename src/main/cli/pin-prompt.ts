// Reading PINs for the CLI. A PIN never comes from argv (every user sees argv in `ps`, and shells
// keep it in history): on a terminal it is typed at a prompt without echo; otherwise it is read
// from stdin, one PIN per line, so scripts can pipe it from a secrets store.
import { CliError } from './io.ts';

export interface PinSource {
  /** Asks for one PIN; on a terminal `confirm` asks twice and insists both match. */
  readonly read: (prompt: string, options?: { confirm?: boolean }) => Promise<string>;
}

/** Stdin holds at most a few PINs; anything longer is refused rather than buffered. */
const MAX_STDIN_BYTES = 4096;

function readHidden(input: NodeJS.ReadStream, output: NodeJS.WriteStream, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let typed = '';
    output.write(prompt);
    input.setRawMode(true);
    input.resume();
    const finish = (error: Error | null): void => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      output.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (data: Buffer): void => {
      for (const char of data.toString('utf8')) {
        if (char === '\r' || char === '\n') return finish(null);
        if (char === '\u0003' || char === '\u0004') return finish(new CliError('cancelled.'));
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    input.on('data', onData);
  });
}

async function readStdinLines(input: NodeJS.ReadStream): Promise<string[]> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_STDIN_BYTES) throw new CliError(`stdin holds more than ${MAX_STDIN_BYTES} bytes; pipe only the PINs, one per line.`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/);
}

export function createPinSource(input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr): PinSource {
  if (input.isTTY) {
    return {
      async read(prompt, options = {}) {
        const pin = await readHidden(input, output, prompt);
        if (options.confirm && (await readHidden(input, output, 'Repeat it: ')) !== pin) throw new CliError('the two PINs differ; run the command again.');
        return pin;
      },
    };
  }
  let lines: Promise<string[]> | null = null;
  let next = 0;
  return {
    async read(prompt) {
      lines ??= readStdinLines(input);
      const pin = (await lines)[next];
      next += 1;
      if (pin === undefined || pin === '') throw new CliError(`no PIN on stdin for "${prompt.replace(/:\s*$/, '')}"; pipe one PIN per line, or run on a terminal to be prompted.`);
      return pin;
    },
  };
}

/** Refuses a PIN given on the command line before anything else looks at argv. */
export function refusePinInArgv(argv: readonly string[]): void {
  if (argv.some((arg) => arg === '--pin' || arg.startsWith('--pin='))) {
    throw new CliError(
      'PINs are never accepted on the command line: every user on this machine can read a process\'s arguments, and shells keep them in history. Run on a terminal to be prompted, or pipe the PIN on stdin (one per line).',
      64,
    );
  }
}
