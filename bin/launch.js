#!/usr/bin/env node
// `npm start` and `npm run demo`: the Electron window where the Electron binary can be had, and
// otherwise one line saying so and the same station headless in this terminal, never just an
// error. `--demo` runs the simulated demo fleet; without it the station's embedded default: the real
// USB bus, serial ports and configured TCP endpoints where the host has a USB bus, else the
// simulated fleet (the window decides the same way when given neither --demo nor --hardware).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const demo = process.argv.includes('--demo');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (command, args) => spawnSync(command, args, { cwd: root, stdio: 'inherit' }).status ?? 1;

// install-electron explains its own failure at length; one line of ours says what it means here.
const electronReady = spawnSync(bin('install-electron'), [], { cwd: root, stdio: 'ignore' }).status === 0;
if (electronReady) process.exit(run(bin('electron-vite'), ['preview', ...(demo ? ['--', '--demo'] : [])]));

const usbBus = existsSync('/sys/bus/usb') || process.platform !== 'linux';
if (usbBus && !demo) {
  console.error('Lockstep: the Electron window cannot start here (its binary could not be downloaded; connect once to fetch it).');
  console.error('Run the station headless instead: npm run lockstep -- provision --bundle B --db FILE --operator ID --supervisor ID');
  process.exit(1);
}
console.error('Lockstep: the Electron window cannot start here (its binary could not be downloaded), so the same demo runs headless in this terminal.');
process.exit(run(process.execPath, [join(root, 'bin', 'lockstep.js'), 'provision', '--sim', '4']));
