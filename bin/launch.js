#!/usr/bin/env node
// `npm start` and `npm run demo`: the Electron window where the Electron binary can be had, and
// otherwise one line saying so and the same station serving its UI to a browser (`lockstep serve`),
// never just an error; `lockstep provision` stays the headless path. `--demo` runs the simulated
// demo fleet; without it the station's embedded default: the real USB bus, serial ports and
// configured TCP endpoints where the host has a USB bus, else the simulated fleet (the window
// decides the same way when given neither --demo nor --hardware).
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const demo = process.argv.includes('--demo');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (command, args) => spawnSync(command, args, { cwd: root, stdio: 'inherit' }).status ?? 1;

// install-electron explains its own failure at length; one line of ours says what it means here.
const electronReady = spawnSync(bin('install-electron'), [], { cwd: root, stdio: 'ignore' }).status === 0;
if (electronReady) process.exit(run(bin('electron-vite'), ['preview', ...(demo ? ['--', '--demo'] : [])]));

// Where the window cannot start, the same station serves the same operator UI to a browser on this
// machine (`lockstep serve`): it prints the address with its secret, and $BROWSER, when set, opens it.
console.error('Lockstep: the Electron window cannot start here (its binary could not be downloaded),');
console.error('so the station serves its operator UI to a browser instead.');
if (run(bin('electron-vite'), ['build']) !== 0) process.exit(1);
const serveArgs = [join(root, 'bin', 'lockstep.js'), 'serve', ...(demo ? ['--demo'] : [])];
const serve = spawn(process.execPath, serveArgs, { cwd: root, stdio: ['inherit', 'pipe', 'inherit'] });
createInterface({ input: serve.stdout }).on('line', (line) => {
  console.log(line);
  const browser = process.env.BROWSER;
  if (!browser || !line.startsWith('http')) return;
  const opener = spawn(browser, [line], { stdio: 'ignore', detached: true });
  opener.on('error', (error) => console.error(`Lockstep: cannot open $BROWSER (${error.message})`));
  opener.unref();
});
// Ctrl-C reaches the station too (same process group); this launcher ends when it has shut down.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => serve.kill('SIGTERM'));
serve.on('exit', (code) => process.exit(code ?? 1));
