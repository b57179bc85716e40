// Printing through a real CUPS: Debian's cupsd started in a temporary folder of its own (its own
// configuration, spool and socket; nothing of the machine's CUPS is touched), with a raw queue whose
// device is socket://127.0.0.1:PORT delivering to a listener here, and jobs submitted with `lp`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLabelService, type LabelService } from '../../../src/main/labels/label-service.ts';
import { loadLabelTemplates } from '../../../src/main/labels/templates.ts';
import { missingTools, requireTools } from '../../support/tools.ts';
import { createLabelFixture, TECHNICIAN } from './fixture.ts';
import { startZebra, type ZebraListener } from './zebra-listener.ts';

const CUPSD = '/usr/sbin/cupsd';
/** The service's own programs are in /usr/sbin, which a user's PATH often lacks: they are run by path. */
const LPADMIN = '/usr/sbin/lpadmin';
const CUPSENABLE = '/usr/sbin/cupsenable';
const CUPSDISABLE = '/usr/sbin/cupsdisable';
const TOOLS = [CUPSD, 'lp', 'lpstat', LPADMIN, CUPSENABLE, CUPSDISABLE];

const station = createLabelFixture();
let dir = '';
let socket = '';
let cupsd: ChildProcess | null = null;
let receiver: ZebraListener;
let service: LabelService;

function cups(command: string, args: string[]): string {
  const result = spawnSync(command, args, { env: { ...process.env, CUPS_SERVER: socket }, encoding: 'utf8', timeout: 10_000 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}${result.error?.message ?? ''}\n${errorLog()}`);
  return result.stdout;
}

function errorLog(): string {
  const path = join(dir, 'log', 'error_log');
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter((line) => /^[EW] /.test(line)).slice(-10).join('\n') : '';
}

async function until(condition: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${errorLog()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  // Where a tool is missing, each test says so (beforeEach below) instead of this setup failing on it.
  if (missingTools(TOOLS) !== null) return;
  dir = mkdtempSync(join(tmpdir(), 'lockstep-cups-'));
  // cupsd runs backends as its unprivileged user (lp), which must reach the spool inside this folder.
  chmodSync(dir, 0o711);
  for (const sub of ['conf', 'spool', 'cache', 'state', 'tmp', 'log']) mkdirSync(join(dir, sub));
  socket = join(dir, 'cups.sock');
  writeFileSync(
    join(dir, 'conf', 'cupsd.conf'),
    [`Listen ${socket}`, 'Browsing Off', 'WebInterface No', 'DefaultAuthType None', 'LogLevel info', '<Location />', '  Order allow,deny', '  Allow all', '</Location>', '<Policy default>', '  <Limit All>', '    Order deny,allow', '  </Limit>', '</Policy>', ''].join('\n'),
  );
  writeFileSync(
    join(dir, 'conf', 'cups-files.conf'),
    [
      `ServerRoot ${join(dir, 'conf')}`,
      `RequestRoot ${join(dir, 'spool')}`,
      `CacheDir ${join(dir, 'cache')}`,
      `StateDir ${join(dir, 'state')}`,
      `TempDir ${join(dir, 'tmp')}`,
      `AccessLog ${join(dir, 'log', 'access_log')}`,
      `ErrorLog ${join(dir, 'log', 'error_log')}`,
      `PageLog ${join(dir, 'log', 'page_log')}`,
      'ServerBin /usr/lib/cups',
      'DataDir /usr/share/cups',
      'FileDevice No',
      '',
    ].join('\n'),
  );
  receiver = await startZebra();
  cupsd = spawn(CUPSD, ['-f', '-c', join(dir, 'conf', 'cupsd.conf'), '-s', join(dir, 'conf', 'cups-files.conf')], { stdio: 'ignore' });
  await until(() => existsSync(socket) && spawnSync('lpstat', ['-r'], { env: { ...process.env, CUPS_SERVER: socket }, encoding: 'utf8' }).stdout.includes('is running'), 'cupsd to start');
  cups(LPADMIN, ['-p', 'zebra', '-v', `socket://127.0.0.1:${receiver.port}`, '-E']);
  service = createLabelService({ databasePath: station.records.databasePath, templates: await loadLabelTemplates(), printerOptions: { timeoutMs: 10_000, cupsServer: socket } });
}, 60_000);

afterAll(async () => {
  cupsd?.kill('SIGTERM');
  if (cupsd && cupsd.exitCode === null) await new Promise((resolve) => cupsd?.once('exit', resolve));
  await receiver?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  station.cleanup();
});

describe('printing through a real CUPS (cupsd in its own folder)', () => {
  beforeEach((context) => requireTools(context, ...TOOLS));

  it('sends ZPL raw with lp: the listener behind the queue receives exactly one well-formed label', async () => {
    const record = station.tagged('CUPS0001');
    const queued = await service.print({ record, printer: { address: 'cups:zebra', format: 'zpl', template: '4x2-203' }, operatorId: TECHNICIAN.id });
    expect(await queued.outcome).toMatchObject({ status: 'accepted', detail: expect.stringMatching(/^queued on CUPS as zebra-\d+$/) });
    await until(() => receiver.jobs.length === 1, 'the job to reach the listener');
    const expected = await service.render(record, '4x2-203', 'zpl');
    expect(receiver.jobs[0]?.equals(expected)).toBe(true);
    expect(service.isPrinted(record.seq)).toBe(true);
  });

  it('sends a PDF label through the queue', async () => {
    const record = station.tagged('CUPS0002');
    const outcome = await (await service.print({ record, printer: { address: 'cups:zebra', format: 'pdf', template: '4x2-300' }, operatorId: TECHNICIAN.id })).outcome;
    expect(outcome.status).toBe('accepted');
    await until(() => receiver.jobs.length === 2, 'the PDF to reach the listener');
    expect(receiver.jobs[1]?.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  it('reports a disabled queue as paused and an unknown queue as offline; neither prints', async () => {
    expect(await service.printerStatus({ address: 'cups:zebra', format: 'zpl', template: '2x1-203' })).toMatchObject({ state: 'unknown', detail: expect.stringMatching(/idle/) });
    cups(CUPSDISABLE, ['zebra']);
    const record = station.tagged('CUPS0003');
    const paused = await (await service.print({ record, printer: { address: 'cups:zebra', format: 'zpl', template: '2x1-203' }, operatorId: TECHNICIAN.id })).outcome;
    expect(paused).toMatchObject({ status: 'failed', detail: expect.stringMatching(/^not sent: .*disabled/) });
    cups(CUPSENABLE, ['zebra']);
    const missing = await (await service.reprint('CUPS0003', { address: 'cups:no-such-queue', format: 'zpl', template: '2x1-203' }, TECHNICIAN.id, 'wrong queue')).outcome;
    expect(missing).toMatchObject({ status: 'failed', detail: expect.stringMatching(/CUPS does not know queue no-such-queue/) });
    expect(service.unprinted().map((entry) => entry.serial)).toContain('CUPS0003');
    expect(receiver.jobs).toHaveLength(2);
  });
});
