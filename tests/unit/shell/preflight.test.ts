// The preflight's decisions on machines of every kind, on a host that records what it would run
// instead of running apt: what is missing, whether it installs (as root or with sudo) or stops, and
// the one command it prints when it stops.
import { describe, expect, it } from 'vitest';
import type { DebianPackage } from '../../../resources/build/debian-packages.ts';
import { DEBIAN_PACKAGES } from '../../../resources/build/debian-packages.ts';
import { installCommand, installedPackages, missingCommands, missingPackages, preflight, type Host, type RunResult } from '../../../resources/build/preflight.ts';

const PACKAGES: readonly DebianPackage[] = [
  { name: 'fastboot', why: 'judges the simulator', commands: ['fastboot'] },
  { name: 'socat', why: 'PTYs', commands: ['socat'] },
  { name: 'cups', why: 'a cupsd of their own', commands: ['/usr/sbin/cupsd'] },
];

interface Machine {
  readonly debian?: boolean;
  readonly installed?: readonly string[];
  readonly root?: boolean;
  readonly sudo?: boolean;
  readonly aptUpdateFails?: boolean;
  readonly aptInstallFails?: boolean;
  /** Commands absent although their package is installed (or, off Debian, simply absent). */
  readonly lost?: readonly string[];
  readonly env?: Record<string, string>;
}

/** A host whose apt-get install really marks the packages installed, so the check after it sees them. */
function host(machine: Machine): Host & { readonly runs: string[]; readonly said: () => string } {
  const installed = new Set(machine.installed ?? []);
  const runs: string[] = [];
  const lines: string[] = [];
  const ok = (stdout = ''): RunResult => ({ status: 0, stdout });
  const failed: RunResult = { status: 100, stdout: '' };
  return {
    runs,
    said: () => lines.join('\n'),
    isRoot: machine.root ?? false,
    env: machine.env ?? {},
    say: (line) => lines.push(line),
    find(command) {
      if (command === 'apt-get') return machine.debian === false ? null : '/usr/bin/apt-get';
      const from = PACKAGES.find((entry) => entry.commands.includes(command));
      const present = (machine.debian === false || (from !== undefined && installed.has(from.name))) && !machine.lost?.includes(command);
      return present ? `/found/${command}` : null;
    },
    run(command, args) {
      runs.push([command, ...args].join(' '));
      if (command === 'dpkg-query' && machine.debian === false) return { status: null, stdout: '' };
      if (command === 'dpkg-query' && args[0] === '--version') return ok('Debian dpkg-query\n');
      if (command === 'dpkg-query') {
        const names = args.slice(3);
        return { status: names.every((name) => installed.has(name)) ? 0 : 1, stdout: names.map((name) => `${name}\t${installed.has(name) ? 'installed' : 'not-installed'}\n`).join('') };
      }
      if (command === 'sudo' && args.join(' ') === '-n true') return machine.sudo ? ok() : { status: 1, stdout: '' };
      const apt = args.indexOf('apt-get');
      if (apt >= 0 && args[apt + 1] === 'update') return machine.aptUpdateFails ? failed : ok();
      if (apt >= 0 && args[apt + 1] === 'install') {
        if (machine.aptInstallFails) return failed;
        for (const name of args.slice(apt + 2).filter((arg) => !arg.startsWith('-'))) installed.add(name);
        return ok();
      }
      throw new Error(`the preflight ran something unexpected: ${command} ${args.join(' ')}`);
    },
  };
}

const aptRuns = (runs: readonly string[]): string[] => runs.filter((run) => run.includes('apt-get'));

describe('the preflight of npm test', () => {
  it('reads which packages dpkg-query reports installed, and which of a list are missing', () => {
    const output = 'fastboot\tinstalled\nsocat\tconfig-files\ncups\tnot-installed\n\n';
    const installed = installedPackages(output);
    expect(installed).toEqual(new Set(['fastboot']));
    expect(missingPackages(PACKAGES, installed).map((entry) => entry.name)).toEqual(['socat', 'cups']);
    expect(missingCommands(PACKAGES, (command) => (command === 'socat' ? null : `/usr/bin/${command}`))).toEqual([{ command: 'socat', from: PACKAGES[1] }]);
  });

  it('prints the install command with sudo for a user and without it for root', () => {
    expect(installCommand(PACKAGES.slice(1), 'sudo')).toBe('sudo apt-get install -y socat cups');
    expect(installCommand(PACKAGES.slice(1), 'none')).toBe('sudo apt-get install -y socat cups');
    expect(installCommand(PACKAGES.slice(1), 'root')).toBe('apt-get install -y socat cups');
  });

  it('goes on at once when every package is installed, running no apt', () => {
    const machine = host({ installed: ['fastboot', 'socat', 'cups'] });
    expect(preflight(machine, PACKAGES)).toBe(0);
    expect(aptRuns(machine.runs)).toEqual([]);
    expect(machine.said()).toBe('preflight: the 3 Debian packages the tests need are installed');
  });

  it('as root installs exactly the missing packages, non-interactively, after apt-get update', () => {
    const machine = host({ root: true, installed: ['fastboot'] });
    expect(preflight(machine, PACKAGES)).toBe(0);
    expect(aptRuns(machine.runs)).toEqual([
      'env DEBIAN_FRONTEND=noninteractive apt-get update -qq',
      'env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends socat cups',
    ]);
    expect(machine.runs).not.toContain('sudo -n true');
    expect(machine.said()).toContain('installing Debian packages: socat cups');
  });

  it('as a user whom sudo lets in without a password installs them with sudo -n', () => {
    const machine = host({ sudo: true, installed: ['fastboot', 'cups'] });
    expect(preflight(machine, PACKAGES)).toBe(0);
    expect(aptRuns(machine.runs)).toEqual([
      'sudo -n env DEBIAN_FRONTEND=noninteractive apt-get update -qq',
      'sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends socat',
    ]);
  });

  it('as a user without sudo stops before anything runs, printing the one command to run', () => {
    const machine = host({ installed: ['fastboot'] });
    expect(preflight(machine, PACKAGES)).toBe(1);
    expect(aptRuns(machine.runs)).toEqual([]);
    expect(machine.said()).toContain('\n  socat  PTYs\n  cups   a cupsd of their own\n');
    expect(machine.said()).toContain('\n\n  sudo apt-get install -y socat cups\n\n');
  });

  it('with LOCKSTEP_PREFLIGHT=warn says the same and lets the tests run', () => {
    const machine = host({ installed: ['fastboot'], env: { LOCKSTEP_PREFLIGHT: 'warn' } });
    expect(preflight(machine, PACKAGES)).toBe(0);
    expect(machine.said()).toContain('  sudo apt-get install -y socat cups');
    expect(machine.said()).toContain('running the tests anyway');
  });

  it('refuses any other value of LOCKSTEP_PREFLIGHT rather than guess what it meant', () => {
    const machine = host({ installed: ['fastboot', 'socat', 'cups'], env: { LOCKSTEP_PREFLIGHT: 'off' } });
    expect(preflight(machine, PACKAGES)).toBe(1);
    expect(machine.runs).toEqual([]);
    expect(machine.said()).toMatch(/LOCKSTEP_PREFLIGHT is 'off'; the only value it takes is 'warn'/);
  });

  it('stops when apt-get install fails, printing the command for root to run', () => {
    const machine = host({ root: true, installed: ['fastboot', 'socat'], aptInstallFails: true });
    expect(preflight(machine, PACKAGES)).toBe(1);
    expect(machine.said()).toContain('installing the Debian packages failed');
    expect(machine.said()).toContain('\n\n  apt-get install -y cups\n\n');
  });

  it('tries the install with the lists it has when apt-get update fails (offline), and goes on when that works', () => {
    const machine = host({ root: true, installed: ['fastboot', 'socat'], aptUpdateFails: true });
    expect(preflight(machine, PACKAGES)).toBe(0);
    expect(machine.said()).toContain('apt-get update failed; trying the install with the package lists already here');
    expect(aptRuns(machine.runs)).toHaveLength(2);
  });

  it('stops when a command is missing although its package is installed', () => {
    const machine = host({ root: true, installed: ['fastboot', 'socat', 'cups'], lost: ['/usr/sbin/cupsd'] });
    expect(preflight(machine, PACKAGES)).toBe(1);
    expect(aptRuns(machine.runs)).toEqual([]);
    expect(machine.said()).toContain('/usr/sbin/cupsd  from cups, which is installed');
  });

  it('off Debian checks the commands: goes on when all are there, else names each with its Debian package and stops', () => {
    const complete = host({ debian: false });
    expect(preflight(complete, PACKAGES)).toBe(0);
    expect(complete.said()).toContain('not a Debian system');

    const lacking = host({ debian: false, root: true, lost: ['socat'] });
    expect(preflight(lacking, PACKAGES)).toBe(1);
    expect(aptRuns(lacking.runs)).toEqual([]);
    expect(lacking.said()).toContain('  socat  Debian package socat: PTYs');
    expect(preflight(host({ debian: false, lost: ['socat'], env: { LOCKSTEP_PREFLIGHT: 'warn' } }), PACKAGES)).toBe(0);
  });

  it('has one entry per package, each command listed once', () => {
    const names = DEBIAN_PACKAGES.map((entry) => entry.name);
    const commands = DEBIAN_PACKAGES.flatMap((entry) => entry.commands);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(commands).size).toBe(commands.length);
    expect(names).toEqual(expect.arrayContaining(['chromium', 'postgresql', 'cups', 'cups-client', 'zbar-tools', 'poppler-utils']));
  });
});
