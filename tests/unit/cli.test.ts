import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/main/cli/main.ts';
import type { CliIo } from '../../src/main/cli/io.ts';
import packageJson from '../../package.json' with { type: 'json' };
import { runCli } from '../lockstep-cli.ts';

function capture(): CliIo & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return { out: (text) => void (out += text), err: (text) => void (err += text), isTty: false, stdout: () => out, stderr: () => err };
}

describe('lockstep CLI', () => {
  it('prints its version and help from the installed bin', () => {
    const version = runCli(['--version']);
    expect(version.status, version.stderr).toBe(0);
    expect(version.stdout).toBe(`${packageJson.version}\n`);
    const help = runCli(['--help']);
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: lockstep <command> [options]');
    expect(help.stdout).toMatch(/^ {2}scan {2}/m);
  });

  it('rejects an unknown command with the usage exit code and a pointer to --help', async () => {
    const io = capture();
    expect(await main(['frobnicate'], io)).toBe(64);
    expect(io.stderr()).toBe("lockstep: unknown command 'frobnicate'. Run 'lockstep --help' for the list.\n");
  });

  it('rejects an unknown option of a command with its usage', () => {
    const run = runCli(['scan', '--bogus']);
    expect(run.status).toBe(64);
    expect(run.stderr).toContain("Unknown option '--bogus'");
    expect(run.stderr).toContain('Usage: lockstep scan [--json] [--fleet auto|hardware|simulated]');
  });

  it('scans the simulated fleet as JSON, with the same shape the UI gets', async () => {
    const io = capture();
    const dataDir = mkdtempSync(join(tmpdir(), 'lockstep-cli-'));
    try {
      expect(await main(['scan', '--json', '--fleet', 'simulated', '--data', dataDir], io)).toBe(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
    const result = JSON.parse(io.stdout());
    expect(result.transports[0]).toMatchObject({ transport: 'usb', available: true });
    expect(result.handsets.map((handset: { serial: string }) => handset.serial)).toEqual(['LSIM0001', 'LSIM0002', 'LSIM0003', 'LSIM0004']);
  });

  it('refuses a fleet it does not know', async () => {
    const io = capture();
    expect(await main(['scan', '--fleet', 'cloud'], io)).toBe(64);
    expect(io.stderr()).toBe("lockstep scan: --fleet must be auto, hardware or simulated, not 'cloud'\n");
  });
});
