// `node resources/build/run-together.ts SCRIPT...`: runs those npm scripts at once and fails when any
// of them fails. `npm test` runs its static checks (lint, typecheck, security scan) this way: each is
// one single-threaded process, so on CI's two cores they take about the longest one's time instead of
// the sum. Each script's output is printed whole when it ends, so the three never interleave.
import { spawn } from 'node:child_process';

interface Outcome {
  readonly script: string;
  readonly status: number | null;
  readonly output: string;
  readonly seconds: number;
}

function runScript(script: string): Promise<Outcome> {
  const started = Date.now();
  return new Promise((settle) => {
    // npm's own path when run from an npm script, so the scripts run under the same npm.
    const npmCli = process.env['npm_execpath'];
    const child = npmCli
      ? spawn(process.execPath, [npmCli, 'run', script], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('npm', ['run', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
    child.once('error', (error) => (output += `could not start npm: ${error.message}\n`));
    child.once('close', (status) => settle({ script, status, output, seconds: (Date.now() - started) / 1000 }));
  });
}

if (import.meta.main) {
  const scripts = process.argv.slice(2);
  if (scripts.length === 0) {
    process.stderr.write('usage: node resources/build/run-together.ts SCRIPT...\n');
    process.exit(64);
  }
  const outcomes = await Promise.all(
    scripts.map(async (script) => {
      const outcome = await runScript(script);
      const verdict = outcome.status === 0 ? 'passed' : `FAILED (exit ${outcome.status ?? 'none'})`;
      process.stdout.write(`\n> npm run ${script}: ${verdict} in ${outcome.seconds.toFixed(1)} s\n${outcome.output}`);
      return outcome;
    }),
  );
  const failed = outcomes.filter((outcome) => outcome.status !== 0).map((outcome) => outcome.script);
  if (failed.length > 0) process.stdout.write(`\nfailed: ${failed.join(', ')}\n`);
  process.exit(failed.length === 0 ? 0 : 1);
}
