import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/main/cli/main.ts';
import type { CliIo } from '../../src/main/cli/io.ts';
import packageJson from '../../package.json' with { type: 'json' };

const BIN = resolve(import.meta.dirname, '../../bin/lockstep.js');

function capture(): CliIo & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return { out: (text) => void (out += text), err: (text) => void (err += text), isTty: false, stdout: () => out, stderr: () => err };
}

describe('lockstep CLI', () => {
  it('prints its version and help from the installed bin', () => {
    expect(execFileSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' })).toBe(`${packageJson.version}\n`);
    const help = execFileSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
    expect(help).toContain('Usage: lockstep <command> [options]');
    expect(help).toMatch(/^ {2}scan {2}/m);
  });

  it('rejects an unknown command with the usage exit code and a pointer to --help', async () => {
    const io = capture();
    expect(await main(['frobnicate'], io)).toBe(64);
    expect(io.stderr()).toBe("lockstep: unknown command 'frobnicate'. Run 'lockstep --help' for the list.\n");
  });

  it('rejects an unknown option of a command with its usage', () => {
    const run = spawnSync(process.execPath, [BIN, 'scan', '--bogus'], { encoding: 'utf8' });
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
    expect(result.handsets.map((handset: { serialNumber: string }) => handset.serialNumber)).toEqual(['LSIM0001', 'LSIM0002', 'LSIM0003', 'LSIM0004']);
  });

  it('refuses a fleet it does not know', async () => {
    const io = capture();
    expect(await main(['scan', '--fleet', 'cloud'], io)).toBe(64);
    expect(io.stderr()).toBe("lockstep scan: --fleet must be auto, hardware or simulated, not 'cloud'\n");
  });
});
