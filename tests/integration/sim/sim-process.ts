// Runs `lockstep sim` as a child process, the way an operator or CI does, and reads the ports it
// prints. `--tcp 0` lets the OS pick free ports, so parallel suites never collide.
import { spawnCli } from '../../lockstep-cli.ts';

export interface SimProcess {
  /** `tcp:127.0.0.1:PORT` of each handset, in fleet order. */
  readonly addresses: readonly string[];
  output(): string;
  /** SIGTERM, then the exit code and everything it printed. */
  stop(): Promise<{ code: number | null; output: string }>;
}

export async function startSimProcess(args: readonly string[]): Promise<SimProcess> {
  const child = spawnCli(['sim', '--tcp', '0', ...args], ['ignore', 'pipe', 'pipe']);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`lockstep sim did not start:\n${output}`)), 20_000);
    const check = (): void => {
      if (output.includes('Press Ctrl-C to stop.')) {
        clearTimeout(timer);
        ready();
      }
    };
    child.stdout?.on('data', check);
    child.once('error', (error) => {
      clearTimeout(timer);
      fail(new Error(`lockstep sim did not start: ${error.message}`));
    });
    void exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`lockstep sim exited with ${code}:\n${output}`));
    });
  });
  return {
    addresses: [...output.matchAll(/\ttcp:(127\.0\.0\.1:\d+)$/gm)].map((match) => `tcp:${match[1]}`),
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      return { code: await exited, output };
    },
  };
}
