// `lockstep label` as an operator runs it: render and preview files, print to a Zebra (a listener
// here) with the operator's PIN, the offline path, reprints with a reason, the unprinted list, the
// history and a printer's status; hostile arguments are quoted back escaped.
import { readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliAsync } from '../../lockstep-cli.ts';
import { requireTools } from '../../support/tools.ts';
import { createLabelFixture, scan, TECHNICIAN } from './fixture.ts';
import { startZebra, type ZebraListener } from './zebra-listener.ts';

const station = createLabelFixture();
const out = mkdtempSync(join(tmpdir(), 'lockstep-label-cli-'));
let db: string;
let zebra: ZebraListener;
let tag: string;
beforeAll(async () => {
  db = station.records.databasePath;
  zebra = await startZebra();
  const record = station.tagged('CLI00001');
  tag = 'assetTag' in record && record.assetTag !== null ? record.assetTag : '';
});
afterAll(async () => {
  await zebra.close();
  station.cleanup();
  rmSync(out, { recursive: true, force: true });
});

const pin = `${TECHNICIAN.pin}\n`;

describe('lockstep label', { timeout: 90_000 }, () => {
  it('renders ZPL, PDF and PNG files, and a preview of the ZPL that scans', (context) => {
    requireTools(context, 'zbarimg');
    for (const format of ['zpl', 'pdf', 'png']) {
      const run = runCli(['label', 'render', '--db', db, '--serial', 'CLI00001', '--format', format, '--out', join(out, `label.${format}`), '--template', '2x1-300']);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`bytes written to .*label\\.${format} \\(${format}, template 2x1-300, asset tag ${tag}\\)`));
    }
    expect(readFileSync(join(out, 'label.zpl'), 'latin1')).toMatch(/^\^XA\n\^CI28\n[\s\S]*\^XZ\n$/);
    const preview = runCli(['label', 'preview', '--db', db, '--serial', 'CLI00001', '--out', join(out, 'preview.png')]);
    expect(preview.status).toBe(0);
    expect(preview.stdout).toContain('preview of the zpl label, template 4x2-203');
    expect(scan(join(out, 'preview.png'))).toContain(`CODE-128:${tag}`);
  });

  it('prints to a Zebra with the operator PIN; a second print is a reprint that needs a reason', async () => {
    const printer = `tcp://127.0.0.1:${zebra.port}`;
    const first = await runCliAsync(['label', 'print', '--db', db, '--serial', 'CLI00001', '--printer', printer, '--operator', TECHNICIAN.id], { input: pin });
    expect(first.stderr).toBe('');
    expect(first.stdout).toMatch(new RegExp(`^Printed the label of ${tag} \\(job \\d+, first\\): \\d+ bytes sent`));
    expect(first.status).toBe(0);
    expect(zebra.jobs).toHaveLength(1);

    const noReason = await runCliAsync(['label', 'print', '--db', db, '--serial', 'CLI00001', '--printer', printer, '--operator', TECHNICIAN.id], { input: pin });
    expect(noReason.status).toBe(1);
    expect(noReason.stderr).toContain('a reprint needs a reason');
    const wrongPin = await runCliAsync(['label', 'print', '--db', db, '--serial', 'CLI00001', '--printer', printer, '--operator', TECHNICIAN.id, '--reason', 'torn'], { input: '000000\n' });
    expect(wrongPin.status).toBe(1);
    expect(zebra.jobs).toHaveLength(1);

    const reprint = await runCliAsync(['label', 'print', '--db', db, '--serial', 'CLI00001', '--printer', printer, '--operator', TECHNICIAN.id, '--reason', 'label torn at packing', '--json'], { input: pin });
    expect(reprint.status).toBe(0);
    expect(JSON.parse(reprint.stdout)).toMatchObject({ job: { kind: 'reprint', reason: 'label torn at packing', operatorId: TECHNICIAN.id, outcome: { status: 'accepted' } } });
    const history = runCli(['label', 'history', '--db', db, '--serial', 'CLI00001']);
    expect(history.stdout).toMatch(/first .* by tech\.ng\n {4}accepted/);
    expect(history.stdout).toMatch(/reprint .* by tech\.ng {2}reason: label torn at packing\n {4}accepted/);
  });

  it('a printer out of paper: exit 1, the label stays unprinted and is listed', async () => {
    station.tagged('CLI00002');
    zebra.state = { paperOut: true };
    const status = await runCliAsync(['label', 'status', '--printer', `tcp://127.0.0.1:${zebra.port}`]);
    expect(status.status).toBe(1);
    expect(status.stdout).toContain('not-ready (paper-out)');
    const run = await runCliAsync(['label', 'print', '--db', db, '--serial', 'CLI00002', '--printer', `tcp://127.0.0.1:${zebra.port}`, '--operator', TECHNICIAN.id], { input: pin });
    zebra.state = {};
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/The label of CLI00002 is NOT printed \(job \d+\): not sent: printer reports paper-out\. It stays unprinted/);
    const unprinted = JSON.parse(runCli(['label', 'unprinted', '--db', db, '--json']).stdout) as { serial: string; lastFailure: string }[];
    expect(unprinted).toContainEqual(expect.objectContaining({ serial: 'CLI00002', lastFailure: 'not sent: printer reports paper-out' }));
    const ready = await runCliAsync(['label', 'status', '--printer', `tcp://127.0.0.1:${zebra.port}`, '--json']);
    expect(JSON.parse(ready.stdout)).toMatchObject({ state: 'ready', formatsInBuffer: 0 });
  });

  it('prints to a file printer, and refuses bad arguments with exit 64 and escaped text', () => {
    station.tagged('CLI00003');
    const file = join(out, 'printed.zpl');
    const printed = runCli(['label', 'print', '--db', db, '--serial', 'CLI00003', '--printer', `file:${file}`, '--operator', TECHNICIAN.id], { input: pin });
    expect(printed.status).toBe(0);
    expect(readFileSync(file, 'latin1')).toContain('^FDS/N CLI00003^FS');
    expect(runCli(['label', 'status', '--printer', 'lpt1'])).toMatchObject({ status: 64, stderr: expect.stringContaining('a printer is tcp://HOST:9100, cups:QUEUE or file:PATH') });
    expect(runCli(['label', 'render', '--db', db, '--serial', 'CLI00003', '--format', 'gif', '--out', file]).status).toBe(64);
    expect(runCli(['label', 'print', '--db', db, '--serial', 'X', '--pin', '1234']).status).toBe(64);
    const hostile = runCli(['label', 'render', '--db', db, '--serial', 'EVIL\u202E\x1b[2J', '--format', 'zpl', '--out', file]);
    expect(hostile.status).toBe(1);
    expect(hostile.stderr).toContain('there is no provisioned record for serial EVIL\\u202E\\x1B[2J');
  });

  it('uses the printer and template named in the station settings', () => {
    const dir = mkdtempSync(join(out, 'settings-'));
    writeFileSync(join(dir, 'station-settings.json'), JSON.stringify({ labelPrinter: { address: `file:${join(dir, 'station.pdf')}`, format: 'pdf', template: '2x1-203' } }));
    const run = runCli(['label', 'print', '--db', db, '--data', dir, '--serial', 'CLI00003', '--operator', TECHNICIAN.id, '--reason', 'office copy'], { input: pin });
    expect(run.status).toBe(0);
    expect(readFileSync(join(dir, 'station.pdf')).subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });
});
