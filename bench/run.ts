// `npm run bench`: runs every bench/*.bench.ts in its own Node process, one after another, so each
// benchmark's peak memory is its own and one cannot warm the caches of the next. A benchmark
// prints its own report (figures and ratios against a reference measured in the same run) and
// exits non-zero only if it could not run. Pass names to run a subset: `npm run bench -- flash`.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = import.meta.dirname;
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((name) => name.endsWith('.bench.ts'))
  .filter((name) => wanted.length === 0 || wanted.some((word) => name.includes(word)))
  .sort();

if (files.length === 0) {
  process.stderr.write(`No benchmark matches ${wanted.join(', ')}. Available: ${readdirSync(dir).filter((n) => n.endsWith('.bench.ts')).join(', ')}\n`);
  process.exit(1);
}

let failed = 0;
for (const file of files) {
  process.stdout.write(`\n=== ${file}\n`);
  const run = spawnSync(process.execPath, [join(dir, file)], { stdio: 'inherit' });
  if (run.status !== 0) {
    failed += 1;
    process.stdout.write(`!!! ${file} did not complete (exit ${run.status ?? run.signal})\n`);
  }
}
process.exit(failed === 0 ? 0 : 1);
