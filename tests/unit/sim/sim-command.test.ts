import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/main/cli/main.ts';
import type { CliIo } from '../../../src/main/cli/io.ts';

const work = mkdtempSync(join(tmpdir(), 'lockstep-sim-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function sim(...args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const io: CliIo = { out: () => undefined, err: (text) => void (stderr += text), isTty: false };
  return { code: await main(['sim', ...args], io), stderr };
}

describe('lockstep sim command line', () => {
  it('refuses contradictory or malformed options with the usage exit code', async () => {
    expect(await sim('--count', '2', '--scenario', 'x.json')).toEqual({ code: 64, stderr: 'lockstep sim: --scenario and --count both describe the fleet; give one of them\n' });
    expect(await sim('--tcp', '70000')).toEqual({ code: 64, stderr: "lockstep sim: --tcp takes a whole number from 0 to 65535, not '70000'\n" });
    expect((await sim('--count', '-1')).code).toBe(64);
    expect((await sim('--bogus')).code).toBe(64);
    expect(await sim('--first', '3', '--scenario', 'x.json')).toEqual({ code: 64, stderr: 'lockstep sim: --first numbers the handsets of --count; a scenario file names its own\n' });
    expect(await sim('--count', '2', '--first', '0')).toEqual({ code: 64, stderr: "lockstep sim: --first takes a whole number from 1 to 255, not '0'\n" });
    expect((await sim('--first', '256')).code).toBe(64);
  });

  it('explains an unusable scenario file or fleet size and exits 1', async () => {
    const path = join(work, 'bad.json');
    writeFileSync(path, JSON.stringify({ devices: [{ serial: 'A', maxDownloadSize: 12 }] }));
    const bad = await sim('--scenario', path, '--state', join(work, 'state'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('devices[0].maxDownloadSize');
    expect(await sim('--count', '65', '--state', join(work, 'state'))).toMatchObject({ code: 1, stderr: expect.stringContaining('a fleet has 1 to 64 handsets') });
    expect(await sim('--count', '8', '--first', '250', '--state', join(work, 'state'))).toMatchObject({ code: 1, stderr: expect.stringContaining('8 from 250 would end at 257') });
    expect(await sim('--count', '3', '--tcp', '65534', '--state', join(work, 'state'))).toMatchObject({ code: 1, stderr: expect.stringContaining('ports 65534-65536 are not all valid TCP ports') });
  });
});
