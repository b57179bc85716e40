// `npm run preflight`, the first step of `npm test` (and so of .ci/run): makes sure the Debian packages
// of resources/build/debian-packages.ts are installed before anything runs. On Debian it installs
// the missing ones when it may (root, or sudo without a password); otherwise it stops, printing the
// one command to run. Elsewhere it checks the commands themselves and stops naming what is missing.
// LOCKSTEP_PREFLIGHT=warn turns every stop into a warning: the tests then run without those tools
// (a test that needs one is skipped, or fails in CI; tests/support/tools.ts).
import { spawnSync } from 'node:child_process';
import { DEBIAN_PACKAGES, type DebianPackage } from './debian-packages.ts';
import { findCommand } from './find-command.ts';

export interface RunResult {
  /** null when the program could not be started at all. */
  readonly status: number | null;
  readonly stdout: string;
}

/** The machine as the preflight sees and changes it; the tests give it one that runs no apt. */
export interface Host {
  /** Runs a program to its end; `show` lets its standard error through to the user (apt's errors), else it is dropped. */
  run(command: string, args: readonly string[], show?: boolean): RunResult;
  /** Where a command of the list is, or null (findCommand). */
  find(command: string): string | null;
  readonly isRoot: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  say(line: string): void;
}

export type Privilege = 'root' | 'sudo' | 'none';

const INSTALLED = 'installed';
const OVERRIDE = 'LOCKSTEP_PREFLIGHT';
/** `env` arguments: apt-get must never stop to ask (a package's debconf question) with nobody at the keyboard. */
const APT_GET = ['DEBIAN_FRONTEND=noninteractive', 'apt-get'];

/** Names of the packages `dpkg-query -W -f '${Package}\t${db:Status-Status}\n'` reports installed. */
export function installedPackages(dpkgOutput: string): Set<string> {
  const rows = dpkgOutput.split('\n').map((line) => line.split('\t'));
  return new Set(rows.flatMap(([name, status]) => (name && status === INSTALLED ? [name] : [])));
}

export function missingPackages(packages: readonly DebianPackage[], installed: ReadonlySet<string>): DebianPackage[] {
  return packages.filter((entry) => !installed.has(entry.name));
}

/** Each listed command `find` cannot locate, with the package that should provide it. */
export function missingCommands(packages: readonly DebianPackage[], find: (command: string) => string | null): { command: string; from: DebianPackage }[] {
  return packages.flatMap((from) => from.commands.filter((command) => find(command) === null).map((command) => ({ command, from })));
}

/** The one command a user runs to install `packages`, with sudo unless they are root. */
export function installCommand(packages: readonly DebianPackage[], privilege: Privilege): string {
  return `${privilege === 'root' ? '' : 'sudo '}apt-get install -y ${packages.map((entry) => entry.name).join(' ')}`;
}

function privilegeOf(host: Host): Privilege {
  if (host.isRoot) return 'root';
  return host.run('sudo', ['-n', 'true']).status === 0 ? 'sudo' : 'none';
}

function isDebian(host: Host): boolean {
  return host.run('dpkg-query', ['--version']).status === 0 && host.find('apt-get') !== null;
}

function table(lines: readonly { name: string; why: string }[]): string {
  const width = Math.max(...lines.map((line) => line.name.length));
  return lines.map((line) => `  ${line.name.padEnd(width)}  ${line.why}`).join('\n');
}

/** apt-get update, then install; true when the install succeeded. */
function install(host: Host, packages: readonly DebianPackage[], privilege: 'root' | 'sudo'): boolean {
  const apt = (...args: string[]): boolean =>
    (privilege === 'root' ? host.run('env', [...APT_GET, ...args], true) : host.run('sudo', ['-n', 'env', ...APT_GET, ...args], true)).status === 0;
  const names = packages.map((entry) => entry.name);
  host.say(`preflight: installing Debian packages${privilege === 'sudo' ? ' with sudo' : ''}: ${names.join(' ')}`);
  if (!apt('update', '-qq')) host.say('preflight: apt-get update failed; trying the install with the package lists already here');
  return apt('install', '-y', '-qq', '--no-install-recommends', ...names);
}

/** Checks, and installs where it may, what `npm test` needs; the exit status: 0 to go on, 1 to stop. */
export function preflight(host: Host, packages: readonly DebianPackage[] = DEBIAN_PACKAGES): number {
  const override = host.env[OVERRIDE];
  if (override !== undefined && override !== '' && override !== 'warn') {
    host.say(`preflight: ${OVERRIDE} is '${override}'; the only value it takes is 'warn' (report what is missing and run the tests anyway)`);
    return 1;
  }
  const stop = (message: string): number => {
    host.say(message);
    if (override === 'warn') {
      host.say(`preflight: ${OVERRIDE}=warn: running the tests anyway; those that need what is missing are skipped (in CI they fail).`);
      return 0;
    }
    host.say(`(${OVERRIDE}=warn runs the tests without them: those that need them are skipped, and fail in CI.)`);
    return 1;
  };

  if (!isDebian(host)) {
    const absent = missingCommands(packages, (command) => host.find(command));
    if (absent.length === 0) {
      host.say('preflight: not a Debian system (no dpkg-query and apt-get); every command the tests run is here');
      return 0;
    }
    const lines = absent.map(({ command, from }) => ({ name: command, why: `Debian package ${from.name}: ${from.why}` }));
    return stop(`preflight: not a Debian system (no dpkg-query and apt-get), and npm test needs commands that are not here:\n${table(lines)}\n`
      + 'Install them with this system\'s own packages, then run npm test again.');
  }

  const query = host.run('dpkg-query', ['-W', '-f', '${Package}\t${db:Status-Status}\n', ...packages.map((entry) => entry.name)]);
  const missing = missingPackages(packages, installedPackages(query.stdout));
  if (missing.length > 0) {
    const privilege = privilegeOf(host);
    const needed = table(missing);
    if (privilege === 'none') {
      return stop(`preflight: npm test needs Debian packages that are not installed:\n${needed}\n`
        + `This user is not root and cannot use sudo without a password, so npm test does not install them. Run:\n\n  ${installCommand(missing, 'sudo')}\n\nthen npm test again.`);
    }
    if (!install(host, missing, privilege)) {
      return stop(`preflight: installing the Debian packages failed (apt-get's errors are above):\n${needed}\nRun:\n\n  ${installCommand(missing, privilege)}\n\nthen npm test again.`);
    }
  }

  const absent = missingCommands(packages, (command) => host.find(command));
  if (absent.length > 0) {
    const lines = absent.map(({ command, from }) => ({ name: command, why: `from ${from.name}, which is installed` }));
    return stop(`preflight: commands the tests run are not found although their Debian packages are installed:\n${table(lines)}\n`
      + 'Look at PATH, or reinstall them with apt-get install --reinstall.');
  }
  host.say(`preflight: the ${packages.length} Debian packages the tests need are installed`);
  return 0;
}

function runOnThisMachine(command: string, args: readonly string[], show = false): RunResult {
  const result = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', show ? 'inherit' : 'ignore'], maxBuffer: 64 * 1024 * 1024 });
  return { status: result.error ? null : result.status, stdout: result.stdout ?? '' };
}

if (import.meta.main) {
  const host: Host = {
    run: runOnThisMachine,
    find: (command) => findCommand(command),
    isRoot: process.getuid?.() === 0,
    env: process.env,
    say: (line) => process.stderr.write(`${line}\n`),
  };
  process.exit(preflight(host));
}
