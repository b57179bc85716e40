#!/usr/bin/env node
// The `lockstep` command. The CLI runs its TypeScript sources directly with Node's built-in type
// stripping and needs node:sqlite, so it wants Node >= 24. On an older system Node it re-runs
// itself with the Node 24 that `npm install` places in node_modules (the `node` package).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REQUIRED_MAJOR = 24;
const major = Number(process.versions.node.split('.')[0]);

if (major < REQUIRED_MAJOR) {
  const bundledNode = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(bundledNode)) {
    process.stderr.write(
      `lockstep: Node ${process.versions.node} is too old (need ${REQUIRED_MAJOR} or newer). ` +
        'Run `npm install` in the Lockstep folder, which installs Node 24 locally, or install Node 24.\n',
    );
    process.exit(1);
  }
  const child = spawnSync(bundledNode, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  if (child.error) {
    process.stderr.write(`lockstep: could not start ${bundledNode}: ${child.error.message}\n`);
    process.exit(1);
  }
  process.exit(child.status ?? 1);
}

// Caches compiled (type-stripped) modules on disk: a flash started from the CLI should not spend a
// quarter of a second compiling the station before it talks to the handset.
const { enableCompileCache } = await import('node:module');
enableCompileCache?.();
const { main } = await import('../src/main/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
