// `lockstep depot demo` start to finish: its own PostgreSQL, three stations provisioning at once,
// one cut off the depot for part of its batch, every record in the depot at the end, the status
// printed and the depot export verified; nothing left behind in the temporary folder.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCliAsync } from '../../lockstep-cli.ts';
import { POSTGRES_MISSING } from './fixture.ts';

describe.skipIf(POSTGRES_MISSING)('lockstep depot demo', () => {
  it('runs three stations into a throwaway depot, one of them offline for a while, and verifies the export', async () => {
    const run = await runCliAsync(['depot', 'demo', '--handsets', '2']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const { stdout } = run;
    expect(stdout).toMatch(/^\[bench3\] depot: offline since \d\d:\d\d, backlog \d+: cannot reach the depot/m);
    expect(stdout).toMatch(/^\[demo\] bench3 is connected to the depot again\.$/m);
    for (const station of ['bench1', 'bench2', 'bench3']) {
      expect(stdout).toMatch(new RegExp(`^\\[${station}\\] Provisioned 2 of 2 handset\\(s\\); 0 failed\\.$`, 'm'));
      expect(stdout).toMatch(new RegExp(`^${station} +\\S+ +2 +2 +2 +0 +0 +\\d+ +0 +0 +0$`, 'm'));
      expect(stdout).toMatch(new RegExp(`^  ${station}: signed by its registered key \\S+ up to record 2 `, 'm'));
      expect(stdout).toMatch(new RegExp(`^  ${station}  key [0-9a-f]{64}  chain head record 2 [0-9a-f]{64}, 2 records in range, 0 label jobs and 0 outcomes of them$`, 'm'));
    }
    expect(stdout).toMatch(/^Intact depot export of depot: 11 lines, 6 records, 3 station\(s\)/m);
    const folder = /^Starting PostgreSQL \(.*\) in (\S+) …$/m.exec(stdout)?.[1];
    expect(folder).toBeDefined();
    expect(existsSync(folder ?? '')).toBe(false);
  }, 180_000);
});
