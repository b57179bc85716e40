// Runs the real `lockstep` CLI (bin/lockstep.js) as a child process, the way an operator or CI does.
// A child that never started has no exit status: the runs here throw its spawn error (EACCES,
// ENOENT) instead, so the test fails saying why rather than on `status: null`.
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const CHECKOUT = resolve(import.meta.dirname, '..');

/** A Node 24 binary and the bin/lockstep.js it runs. */
export interface Cli {
  readonly node: string;
  readonly bin: string;
}

/** This checkout's CLI under the Node running the tests (Node 24, so the CLI does not re-exec). */
const CHECKOUT_CLI: Cli = { node: process.execPath, bin: join(CHECKOUT, 'bin', 'lockstep.js') };

export interface CliRunOptions {
  readonly cli?: Cli;
  /** Another user to run it as, which needs root. */
  readonly user?: { readonly uid: number; readonly gid: number };
  readonly input?: string;
}

export interface CliRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(args: readonly string[], options: CliRunOptions = {}): CliRun {
  const { node, bin } = options.cli ?? CHECKOUT_CLI;
  const result = spawnSync(node, [bin, ...args], { encoding: 'utf8', input: options.input, ...options.user });
  return exited(args, options, result);
}

/** `lockstep ARGS` in the background, for runs the test's own event loop must keep serving meanwhile. */
export function spawnCli(args: readonly string[], stdio: StdioOptions, env: Readonly<Record<string, string>> = {}): ChildProcess {
  return spawn(CHECKOUT_CLI.node, [CHECKOUT_CLI.bin, ...args], { stdio, env: { ...process.env, ...env } });
}

export function runCliAsync(args: readonly string[], options: Pick<CliRunOptions, 'input'> = {}): Promise<CliRun> {
  return new Promise((settle, fail) => {
    const child = spawnCli(args, [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe']);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    let error: Error | undefined;
    child.once('error', (spawnError) => (error = spawnError));
    child.once('close', (status, signal) => {
      // After a spawn error 'close' still comes, with the negated errno for a status.
      try {
        settle(exited(args, options, { status: error ? null : status, signal, error, stdout, stderr }));
      } catch (failure) {
        fail(failure);
      }
    });
    child.stdin?.end(options.input);
  });
}

function exited(
  args: readonly string[],
  options: CliRunOptions,
  result: { status: number | null; signal: NodeJS.Signals | null; error?: Error; stdout: string | null; stderr: string | null },
): CliRun {
  if (result.status !== null) return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
  const who = options.user ? ` as uid ${options.user.uid}` : '';
  const why = result.error ? `did not start${who}: ${result.error.message}` : `was killed by ${result.signal}`;
  throw new Error(`lockstep ${args.join(' ')} ${why}${result.stderr ? `\n${result.stderr}` : ''}`);
}

interface LockFile {
  readonly packages: Record<string, { readonly dev?: boolean; readonly devOptional?: boolean }>;
}

/**
 * A copy of this checkout's CLI in `dir`, with the Node running the tests and the package's runtime
 * dependencies, for another user who may not be able to enter the checkout (a clone under /root,
 * or in any folder of mode 700).
 */
export function copyCli(dir: string): Cli {
  for (const path of ['package.json', 'bin', 'src', 'resources']) cpSync(join(CHECKOUT, path), join(dir, path), { recursive: true });
  const lock = JSON.parse(readFileSync(join(CHECKOUT, 'package-lock.json'), 'utf8')) as LockFile;
  for (const [path, entry] of Object.entries(lock.packages)) {
    // Nested packages come along inside the top-level one; optional ones for other platforms are not installed.
    const topLevel = /^node_modules\/(@[^/]+\/)?[^/]+$/.test(path);
    if (topLevel && !entry.dev && !entry.devOptional && existsSync(join(CHECKOUT, path))) {
      cpSync(join(CHECKOUT, path), join(dir, path), { recursive: true });
    }
  }
  const node = join(dir, 'node');
  copyFileSync(process.execPath, node);
  shareWithEveryone(dir);
  return { node, bin: join(dir, 'bin', 'lockstep.js') };
}

/** Lets every user read everything under `path`, enter its folders and run its programs, which a umask of 077 or 027 denies them. */
export function shareWithEveryone(path: string): void {
  const stats = lstatSync(path);
  if (stats.isSymbolicLink()) return;
  const runnable = stats.isDirectory() || (stats.mode & 0o100) !== 0;
  chmodSync(path, (stats.mode & 0o7777) | 0o444 | (runnable ? 0o111 : 0));
  if (stats.isDirectory()) for (const name of readdirSync(path)) shareWithEveryone(join(path, name));
}
