// A CUPS queue, through the `lp` and `lpstat` clients (Debian cups-client), so the station needs no
// CUPS library and honours the depot's CUPS set-up. ZPL goes to the queue raw (`-o raw`, for a
// Zebra behind a raw queue); PDF and PNG go through the queue's filters like any document.
import { describeFailure } from '../../../shared/describe-failure.ts';
import { spawn } from 'node:child_process';
import type { LabelFormat, PrinterStatus } from '../../../shared/labels.ts';
import { displaySafe } from '../../../shared/untrusted.ts';

export interface CupsTarget {
  readonly queue: string;
  readonly timeoutMs: number;
  /** `host:port` or a socket path of the CUPS server; the client's default (CUPS_SERVER, client.conf) otherwise. */
  readonly server?: string;
}

const MAX_OUTPUT = 64 * 1024;

function run(command: string, args: readonly string[], target: CupsTarget, input: Buffer | null): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const env = target.server ? { ...process.env, CUPS_SERVER: target.server } : process.env;
    const child = spawn(command, args, { env, stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} did not finish within ${target.timeoutMs} ms (is the CUPS server running?)`));
    }, target.timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => (out = (out + chunk.toString('utf8')).slice(0, MAX_OUTPUT)));
    child.stderr?.on('data', (chunk: Buffer) => (err = (err + chunk.toString('utf8')).slice(0, MAX_OUTPUT)));
    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(error.code === 'ENOENT' ? `${command} is not installed (Debian package cups-client)` : `cannot run ${command}: ${error.code ?? error.message}`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
    if (input && child.stdin) {
      child.stdin.once('error', () => undefined);
      child.stdin.end(input);
    }
  });
}

/** Submits one job; resolves with CUPS's request id once the server has queued it. */
export async function printCups(target: CupsTarget, bytes: Buffer, format: LabelFormat, title: string): Promise<string> {
  // No file argument: lp reads the job from stdin, so no label is ever written to a shared folder.
  const args = ['-d', target.queue, '-t', title, ...(format === 'zpl' ? ['-o', 'raw'] : [])];
  const result = await run('lp', args, target, bytes);
  if (result.code !== 0) throw new Error(`CUPS refused the job for queue ${target.queue}: ${displaySafe(result.err.trim() || `lp exited with ${result.code}`, 300)}`);
  const id = /request id is (\S+)/.exec(result.out)?.[1];
  return id ? `queued on CUPS as ${displaySafe(id, 140)}` : `queued on CUPS queue ${target.queue}`;
}

/** Whether the queue exists and accepts and prints jobs, from `lpstat -p QUEUE`. */
export async function cupsStatus(target: CupsTarget): Promise<PrinterStatus> {
  const address = `cups:${target.queue}`;
  let result;
  try {
    result = await run('lpstat', ['-p', target.queue], target, null);
  } catch (error) {
    return { state: 'offline', address, detail: describeFailure(error) };
  }
  const text = displaySafe(`${result.out}${result.err}`.trim(), 300);
  if (result.code !== 0) return { state: 'offline', address, detail: `CUPS does not know queue ${target.queue}: ${text}` };
  if (/\bdisabled\b/.test(result.out)) return { state: 'not-ready', address, problems: ['paused'], detail: text };
  return { state: 'unknown', address, detail: `${text} (CUPS does not report paper or head state)` };
}
