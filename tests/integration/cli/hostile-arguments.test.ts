// Every command that quotes a path or an argument back, fed one that would rewrite the terminal:
// an ESC sequence, a right-to-left override and a newline. Whatever the command says, success or
// failure, must show them as escapes (the way src/shared/untrusted.ts writes them), never raw.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/main/cli/main.ts';
import { DATABASE_FILE } from '../../../src/main/records/station-records.ts';
import { isUnsafeCodePoint } from '../../../src/shared/untrusted.ts';
import { capture, tempDir } from '../bundle/fixture.ts';
import { runCli } from '../../lockstep-cli.ts';
import { startSimProcess } from '../sim/sim-process.ts';

const HOSTILE = 'x\u001b[2J\u202Eevil\ninjected';
/** HOSTILE as displaySafe shows it. */
const SHOWN = 'x\\x1B[2J\\u202Eevil\\x0Ainjected';

const work = tempDir('hostile-cli');
afterAll(() => work.remove());
/** A path whose last component is HOSTILE, inside a fresh folder of its own. */
let counter = 0;
function hostilePath(): string {
  counter += 1;
  const dir = join(work.path, String(counter));
  mkdirSync(dir);
  return join(dir, HOSTILE);
}

/** Nothing raw: no control character but the command's own line ends and tabs, and no newline from HOSTILE. */
function expectEscaped(text: string, shown = true): void {
  const raw = [...text].filter((char) => char !== '\n' && char !== '\t' && isUnsafeCodePoint(char.codePointAt(0) ?? 0));
  expect(raw, text).toEqual([]);
  expect(text).not.toContain('\ninjected');
  if (shown) expect(text).toContain(SHOWN);
}

async function lockstep(args: readonly string[], expected: number, shown = true): Promise<string> {
  const io = capture();
  const code = await main(args, io);
  const text = io.stdout() + io.stderr();
  expect(code, text).toBe(expected);
  expectEscaped(text, shown);
  return text;
}

/** For the commands that read PINs from stdin or run until stopped: the real binary. */
function lockstepProcess(args: readonly string[], expected: number, { input = '', shown = true } = {}): string {
  const run = runCli(args, { input });
  const text = run.stdout + run.stderr;
  expect(run.status, text).toBe(expected);
  expectEscaped(text, shown);
  return text;
}

describe('lockstep itself', () => {
  it('escapes an unknown command and an unknown option', async () => {
    await lockstep([HOSTILE], 64);
    await lockstep(['scan', `--${HOSTILE}`], 64);
    await lockstep(['records', 'list', `--db=${HOSTILE}`, `--${HOSTILE}=1`], 64);
  });
});

describe('lockstep records', () => {
  let db: string;
  beforeAll(() => {
    db = join(work.path, 'records', DATABASE_FILE);
    mkdirSync(join(work.path, 'records'));
    lockstepProcess(['operators', 'add', '--db', db, '--id', 'admin', '--name', 'Admin'], 0, { input: '4711235\n4711235\n', shown: false });
  });

  it('escapes a file it cannot read, a database that is not there, and one that is not a database', async () => {
    expect(await lockstep(['records', 'verify', hostilePath()], 1)).toContain('cannot read');
    expect(await lockstep(['records', 'list', '--db', hostilePath()], 1)).toContain('there is no records database at');
    const notDatabase = hostilePath();
    writeFileSync(notDatabase, 'not a database');
    await lockstep(['records', 'list', '--db', notDatabase], 1);
    const notUtf8 = hostilePath();
    writeFileSync(notUtf8, Buffer.from([0xff, 0x0a]));
    // The verdict is about the file's lines and does not quote its path back.
    expect(await lockstep(['records', 'verify', notUtf8], 1, false)).toContain('is not valid UTF-8');
  });

  it('escapes the export path, written or not', async () => {
    const exportTo = (out: string): string[] => ['records', 'export', '--db', db, '--format', 'jsonl', '--out', out];
    expect(await lockstep(exportTo(hostilePath()), 0)).toContain('Wrote 0 records to');
    expect(await lockstep(exportTo(join(hostilePath(), 'x.jsonl')), 1)).toContain('cannot write');
  });

  it('escapes filter values and a station key that is no key', async () => {
    await lockstep(['records', 'list', '--db', db, '--since', HOSTILE], 1, false);
    await lockstep(['records', 'list', '--db', db, '--status', HOSTILE], 1, false);
    await lockstep(['records', 'show', '--db', db, HOSTILE], 64);
    const notKey = hostilePath();
    writeFileSync(notKey, HOSTILE);
    await lockstep(['records', 'verify', notKey, '--station-key', notKey], 64);
  });
});

describe('lockstep operators', () => {
  it('escapes the database path and the operator id, in prompts and refusals', () => {
    expect(lockstepProcess(['operators', 'list', '--db', hostilePath()], 1)).toContain('there is no records database at');
    expect(lockstepProcess(['operators', 'add', '--db', hostilePath(), '--id', HOSTILE, '--name', 'N'], 1)).toContain('no PIN on stdin');
    const pins = { input: '4711235\n4711235\n', shown: false };
    lockstepProcess(['operators', 'add', '--db', hostilePath(), '--id', HOSTILE, '--name', HOSTILE], 1, pins);
  });
});

describe('lockstep keys and bundle', () => {
  it('escapes key folders, created or refused', async () => {
    const keys = hostilePath();
    expect(await lockstep(['keys', 'generate', '--out', keys], 0)).toContain('Private key');
    expect(await lockstep(['keys', 'generate', '--out', keys], 1)).toContain('already exists');
    const file = hostilePath();
    writeFileSync(file, '');
    expect(await lockstep(['keys', 'generate', '--out', join(file, 'sub')], 1)).toContain('cannot create the folder');
    await lockstep(['keys', HOSTILE], 64);
    expect(await lockstep(['keys', 'list', '--trust', hostilePath()], 1)).toContain('cannot read trust folder');
  });

  it('escapes bundle locations, valid or not, in text and JSON', async () => {
    const bundle = hostilePath();
    const demo = ['bundle', 'demo', '--out', bundle, '--boot-size', '4K', '--system-size', '8K'];
    expect(await lockstep(demo, 0)).toContain('Created DEMO bundle');
    expect(await lockstep(['bundle', 'verify', bundle, '--demo'], 0)).toContain('VALID directory bundle');
    await lockstep(['bundle', 'verify', bundle, '--demo', '--json'], 0, false);
    expect(await lockstep(['bundle', 'inspect', bundle, '--demo'], 0)).toContain('signature valid');
    await lockstep(['bundle', 'inspect', bundle, '--json'], 1, false);
    expect(await lockstep(['bundle', 'verify', hostilePath()], 1)).toContain('no bundle at');
    await lockstep(['bundle', 'verify', hostilePath(), '--json'], 1, false);
    const empty = hostilePath();
    mkdirSync(empty);
    expect(await lockstep(['bundle', 'inspect', empty], 1)).toContain('has no manifest.json');
    await lockstep(['bundle', 'demo', '--out', bundle], 1);
  });

  it('escapes signing keys, images and names given to bundle create', async () => {
    const keys = join(work.path, 'create-keys');
    await lockstep(['keys', 'generate', '--out', keys], 0, false);
    const key = join(keys, 'signing.key.pem');
    const image = join(work.path, 'boot.img');
    writeFileSync(image, Buffer.alloc(4096, 1));
    const create = ['bundle', 'create', '--product', 'p', '--version', '1', '--out', join(work.path, 'never')];
    expect(await lockstep([...create, '--partition', `boot=${image}`, '--key', hostilePath()], 1)).toContain('cannot read signing key');
    const publicKey = hostilePath();
    writeFileSync(publicKey, readFileSync(join(keys, 'signing.pub.pem')));
    expect(await lockstep([...create, '--partition', `boot=${image}`, '--key', publicKey], 1)).toContain('is a public key');
    const notKey = hostilePath();
    writeFileSync(notKey, 'no key here');
    await lockstep([...create, '--partition', `boot=${image}`, '--key', notKey], 1);
    expect(await lockstep([...create, '--partition', `boot=${hostilePath()}`, '--key', key], 1)).toContain('is not a regular file');
    await lockstep([...create, '--partition', `boot=${image}`, '--boot-slot', `boot=${HOSTILE}`, '--key', key], 64);
    await lockstep([...create, '--partition', `${HOSTILE}=${image}`, '--key', key], 1, false);
    const existing = hostilePath();
    mkdirSync(existing);
    // The last --out counts.
    expect(await lockstep([...create, '--partition', `boot=${image}`, '--key', key, '--out', existing], 1)).toContain('already exists');
    // Nobody anticipated a file where a folder should be: Node's own message, with the path, and the stack.
    const file = hostilePath();
    writeFileSync(file, '');
    const underFile = join(file, 'sub', 'b');
    expect(await lockstep([...create, '--partition', `boot=${image}`, '--key', key, '--out', underFile], 70)).toContain('    at ');
  });
});

describe('lockstep sim and scan', () => {
  it('escapes scenario files it cannot read or parse, and what is wrong inside them', async () => {
    for (const command of [['sim', '--tcp', '0'], ['scan', '--fleet', 'simulated', '--data', join(work.path, 'scan-data')]]) {
      expect(await lockstep([...command, '--scenario', hostilePath()], 1)).toContain('cannot read scenario file');
      const notJson = hostilePath();
      writeFileSync(notJson, `{${HOSTILE}`);
      expect(await lockstep([...command, '--scenario', notJson], 1)).toContain('is not valid JSON');
      const badKey = hostilePath();
      writeFileSync(badKey, JSON.stringify({ devices: [{ serial: 'S1', [HOSTILE]: 1 }] }));
      expect(await lockstep([...command, '--scenario', badKey], 1)).toContain('is not valid:');
    }
  });

  it('escapes a state folder it cannot use, and the one it serves from', async () => {
    const file = hostilePath();
    writeFileSync(file, '');
    expect(await lockstep(['sim', '--tcp', '0', '--state', join(file, 'state')], 1)).toContain('cannot start the virtual handsets');
    const sim = await startSimProcess(['--state', hostilePath()]);
    const { output } = await sim.stop();
    expect(output).toContain('State directory: ');
    expectEscaped(output);
  });

  it('escapes --fleet and a data folder it cannot use', async () => {
    await lockstep(['scan', '--fleet', HOSTILE], 64);
    const file = hostilePath();
    writeFileSync(file, '');
    await lockstep(['scan', '--fleet', 'simulated', '--data', file], 1);
  });
});

describe('lockstep fastboot', () => {
  it('escapes device addresses, commands and options it refuses', async () => {
    await lockstep(['fastboot', '-s', HOSTILE, 'getvar', 'product'], 64);
    await lockstep(['fastboot', '-s', 'tcp:127.0.0.1:1', HOSTILE], 64);
    await lockstep(['fastboot', '-s', 'tcp:127.0.0.1:1', '--timeout', HOSTILE, 'getvar', 'product'], 64);
  });

  it('escapes partitions and image paths sent to a handset', async () => {
    const sim = await startSimProcess(['--state', join(work.path, 'fastboot-sim')]);
    try {
      const device = sim.addresses[0] ?? '';
      const image = hostilePath();
      writeFileSync(image, Buffer.alloc(4096, 1));
      expect(await lockstep(['fastboot', '-s', device, 'flash', 'boot_a', image], 0)).toContain('Flashed');
      await lockstep(['fastboot', '-s', device, 'flash', 'boot_a', hostilePath()], 1);
      await lockstep(['fastboot', '-s', device, 'flash', HOSTILE, image], 1);
      await lockstep(['fastboot', '-s', device, 'getvar', HOSTILE], 1);
      await lockstep(['fastboot', '-s', device, 'erase', HOSTILE], 1);
      await lockstep(['fastboot', '-s', device, 'oem', HOSTILE], 1);
    } finally {
      await sim.stop();
    }
  });
});
