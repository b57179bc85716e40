// With --json, standard output is JSON lines and nothing else, for every command that takes --json:
// each line parses with JSON.parse on its own (as `jq` and line readers take it), and what is for
// people goes to standard error. (`lockstep provision --json` and `lockstep scan --json` are run in
// tests/integration/pipeline/cli.test.ts and tests/integration/station/handset-sources.test.ts.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliAsync, type CliRun } from '../../lockstep-cli.ts';
import { ADMIN } from '../../depot-operators.ts';
import { createLabelFixture, TECHNICIAN } from '../labels/fixture.ts';

const station = createLabelFixture();
const work = mkdtempSync(join(tmpdir(), 'lockstep-json-'));
let db: string;
let bundle: string;

beforeAll(async () => {
  db = station.records.databasePath;
  station.tagged('JSON0001');
  bundle = join(work, 'demo-bundle');
  const made = await runCliAsync(['bundle', 'demo', '--out', bundle, '--boot-size', '64K', '--system-size', '256K']);
  expect(made.status, made.stderr).toBe(0);
}, 60_000);

afterAll(() => {
  station.cleanup();
  rmSync(work, { recursive: true, force: true });
});

/** Each line of standard output as JSON; fails naming the line that is not. */
function jsonLines(run: CliRun): unknown[] {
  expect(run.stdout, run.stderr).not.toBe('');
  expect(run.stdout.endsWith('\n')).toBe(true);
  return run.stdout
    .slice(0, -1)
    .split('\n')
    .map((line) => {
      try {
        return JSON.parse(line) as unknown;
      } catch {
        throw new Error(`not a JSON line on standard output: ${line}`);
      }
    });
}

async function json(args: readonly string[], input?: string): Promise<{ status: number; lines: unknown[]; stderr: string }> {
  const run = await runCliAsync(args, input === undefined ? {} : { input });
  return { status: run.status, lines: jsonLines(run), stderr: run.stderr };
}

describe('--json', { timeout: 90_000 }, () => {
  it('bundle verify and inspect: one JSON line each', async () => {
    const verified = await json(['bundle', 'verify', bundle, '--demo', '--json']);
    expect(verified.status).toBe(0);
    expect(verified.lines).toEqual([expect.objectContaining({ valid: true, demo: true })]);
    const refused = await json(['bundle', 'verify', bundle, '--json']);
    expect(refused.status).toBe(1);
    expect(refused.lines).toEqual([expect.objectContaining({ valid: false, code: 'DEMO_KEY_NOT_TRUSTED' })]);
    const inspected = await json(['bundle', 'inspect', bundle, '--demo', '--json']);
    expect(inspected.lines).toEqual([expect.objectContaining({ filesChecked: false, signature: { valid: true } })]);
  });

  it('records list, show, export, verify and station-key', async () => {
    const listed = await json(['records', 'list', '--db', db, '--json']);
    expect(listed.lines).toEqual([[expect.objectContaining({ seq: 1, serial: 'JSON0001' })]]);
    expect((await json(['records', 'show', '--db', db, '1', '--json'])).lines).toEqual([expect.objectContaining({ seq: 1, outcome: 'provisioned' })]);
    const exported = join(work, 'records.jsonl');
    const wrote = await json(['records', 'export', '--db', db, '--format', 'jsonl', '--out', exported, '--json']);
    expect(wrote.lines).toEqual([expect.objectContaining({ out: exported, format: 'jsonl', records: 1, headSeq: 1 })]);
    const key = await json(['records', 'station-key', '--db', db, '--json']);
    expect(key.lines).toEqual([{ publicKeyPem: expect.stringContaining('BEGIN PUBLIC KEY'), publicKey: expect.any(String), fingerprint: expect.any(String) }]);
    const { publicKey } = key.lines[0] as { publicKey: string };
    const intact = await json(['records', 'verify', exported, '--station-key', publicKey, '--json']);
    expect(intact.status).toBe(0);
    expect(intact.lines).toEqual([expect.objectContaining({ intact: true, records: 1, keyPinned: true })]);
  });

  it('operators list, add, disable and recoveries', async () => {
    expect((await json(['operators', 'list', '--db', db, '--json'])).lines).toEqual([expect.arrayContaining([expect.objectContaining({ id: ADMIN.id, role: 'admin' })])]);
    const added = await json(['operators', 'add', '--db', db, '--id', 'json.tech', '--name', 'J. Son', '--as', ADMIN.id, '--json'], `${ADMIN.pin}\n24681357\n`);
    expect(added.status, added.stderr).toBe(0);
    expect(added.lines).toEqual([expect.objectContaining({ id: 'json.tech', role: 'technician', disabledAt: null })]);
    const disabled = await json(['operators', 'disable', '--db', db, '--id', 'json.tech', '--as', ADMIN.id, '--json'], `${ADMIN.pin}\n`);
    expect(disabled.lines).toEqual([expect.objectContaining({ id: 'json.tech', disabledAt: expect.any(String) })]);
    expect((await json(['operators', 'recoveries', '--db', db, '--json'])).lines).toEqual([[]]);
  });

  it('label render, preview, print, status, unprinted and history', async () => {
    const rendered = await json(['label', 'render', '--db', db, '--serial', 'JSON0001', '--format', 'zpl', '--out', join(work, 'label.zpl'), '--json']);
    expect(rendered.lines).toEqual([expect.objectContaining({ kind: 'label', format: 'zpl', template: '4x2-203', recordSeq: 1 })]);
    const preview = await json(['label', 'preview', '--db', db, '--serial', 'JSON0001', '--out', join(work, 'preview.png'), '--json']);
    expect(preview.lines).toEqual([expect.objectContaining({ kind: 'preview', format: 'zpl' })]);
    expect((await json(['label', 'unprinted', '--db', db, '--json'])).lines).toEqual([[expect.objectContaining({ serial: 'JSON0001' })]]);
    const printer = `file:${join(work, 'printed.zpl')}`;
    const printed = await json(['label', 'print', '--db', db, '--serial', 'JSON0001', '--printer', printer, '--operator', TECHNICIAN.id, '--json'], `${TECHNICIAN.pin}\n`);
    expect(printed.status, printed.stderr).toBe(0);
    expect(printed.lines).toEqual([{ job: expect.objectContaining({ kind: 'first', outcome: expect.objectContaining({ status: 'accepted' }) }) }]);
    expect((await json(['label', 'history', '--db', db, '--serial', 'JSON0001', '--json'])).lines).toEqual([[expect.objectContaining({ kind: 'first' })]]);
    expect((await json(['label', 'status', '--printer', printer, '--json'])).lines).toEqual([expect.objectContaining({ address: printer })]);
  });
});
