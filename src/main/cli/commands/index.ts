import type { CliCommandEntry } from '../command.ts';

/**
 * Every subcommand of `lockstep`, in the order `--help` lists them. A command's module (and what it
 * pulls in: SQLite, pdf-lib, the simulator…) is loaded only when that command runs, so that
 * `lockstep --help` or a flash does not pay for all the others in start-up time and memory.
 */
export const COMMANDS: readonly CliCommandEntry[] = [
  { name: 'scan', summary: 'List handsets attached in fastboot mode and the state of each transport', load: async () => (await import('./scan.ts')).scanCommand },
  { name: 'provision', summary: 'Provision handsets: flash, verify, fuse, lock, check, record (--sim N for a one-line demo)', load: async () => (await import('./provision.ts')).provisionCommand },
  { name: 'serve', summary: 'Serve the operator UI to browsers (HTTP and WebSocket; loopback unless given TLS), until Ctrl-C', load: async () => (await import('./serve.ts')).serveCommand },
  { name: 'sim', summary: 'Run a fleet of virtual handsets that speak fastboot over TCP, until Ctrl-C', load: async () => (await import('./sim.ts')).simCommand },
  { name: 'fastboot', summary: 'Run one fastboot command against a handset or simulator (bench client)', load: async () => (await import('./fastboot.ts')).fastbootCommand },
  { name: 'keys', summary: 'Generate bundle signing keys and list the keys this station trusts', load: async () => (await import('./keys.ts')).keysCommand },
  { name: 'bundle', summary: 'Create, verify and inspect signed firmware bundles', load: async () => (await import('./bundle.ts')).bundleCommand },
  { name: 'operators', summary: 'Add, list, disable, unlock and recover the operators of a station (PINs from a prompt or stdin)', load: async () => (await import('./operators.ts')).operatorsCommand },
  { name: 'records', summary: 'List, show and export provisioning records; verify an export offline', load: async () => (await import('./records.ts')).recordsCommand },
  { name: 'depot', summary: 'Set up a PostgreSQL depot of many stations, register and join stations, sync and show their state', load: async () => (await import('./depot.ts')).depotCommand },
  { name: 'label', summary: 'Render, preview, print and reprint asset labels; ask a printer for its state', load: async () => (await import('./label.ts')).labelCommand },
];
