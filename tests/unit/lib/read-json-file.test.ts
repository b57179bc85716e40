// readJsonFile: the one reader of JSON files people write (profiles, label templates, settings,
// scenarios, the window state). Its errors name the file and the field at fault.
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { JsonFileError, readJsonFile, readJsonValue } from '../../../src/lib/json/read-json-file.ts';

const work = mkdtempSync(join(tmpdir(), 'lockstep-json-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const schema = z.strictObject({ name: z.string().min(1), slots: z.array(z.strictObject({ port: z.int().min(1).max(65535) })) });
const options = { what: 'test file', maxBytes: 1024 };

function file(name: string, text: string): string {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
}

async function failure(path: string): Promise<JsonFileError> {
  const error = await readJsonFile(path, schema, options).then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(JsonFileError);
  return error as JsonFileError;
}

describe('readJsonFile', () => {
  it('returns the validated value', async () => {
    expect(await readJsonFile(file('good.json', '{"name":"a","slots":[{"port":5554}]}'), schema, options)).toEqual({ name: 'a', slots: [{ port: 5554 }] });
  });

  it('names the file and each field at fault', async () => {
    const path = file('bad.json', '{"name":"","slots":[{"port":5554},{"port":70000}]}');
    const error = await failure(path);
    expect(error.problem).toBe('invalid');
    expect(error.path).toBe(path);
    expect(error.field).toBe('name');
    expect(error.message).toMatch(new RegExp(`^test file ${path.replaceAll('/', '\\/')} is not valid:\\n {2}name: .*\\n {2}slots\\[1\\]\\.port: `));
  });

  it('refuses a key written twice, naming the field, where JSON.parse would keep the last', async () => {
    const error = await failure(file('twice.json', '{"name":"a","slots":[{"port":1,"port":2}]}'));
    expect(error.problem).toBe('not-json');
    expect(error.field).toBe('slots[0].port');
    expect(error.message).toMatch(/twice\.json is not valid JSON: the field slots\[0\]\.port appears twice in one object/);
  });

  it('refuses a file over the limit without parsing it', async () => {
    const path = file('huge.json', '');
    truncateSync(path, 1025);
    const error = await failure(path);
    expect(error.problem).toBe('too-large');
    expect(error.message).toMatch(/huge\.json is 1025 bytes; the limit is 1024$/);
  });

  it('tells a missing file, malformed text, a byte-order mark and bytes that are not UTF-8 apart', async () => {
    expect((await failure(join(work, 'absent.json'))).problem).toBe('missing');
    expect((await failure(join(work, 'absent.json'))).message).toMatch(/^cannot read test file .*absent\.json: ENOENT$/);
    expect((await failure(file('junk.json', '{"name":'))).message).toMatch(/junk\.json is not valid JSON: /);
    expect((await failure(file('bom.json', '\uFEFF{"name":"a","slots":[]}'))).message).toMatch(/bom\.json starts with a UTF-8 byte-order mark/);
    const latin1 = join(work, 'latin1.json');
    writeFileSync(latin1, Buffer.from([0x7b, 0x22, 0x6e, 0xe9, 0x22, 0x3a, 0x31, 0x7d]));
    expect((await failure(latin1)).problem).toBe('not-json');
  });

  it('escapes control characters of the file name in its messages', async () => {
    const error = await failure(join(work, 'evil\u001b[2J.json'));
    expect(error.message).not.toContain('\u001b');
    expect(error.message).toContain('\\x1B');
  });

  it('gives the value unvalidated to a caller that keeps it as written', async () => {
    expect(await readJsonValue(file('raw.json', '{"extra":[1,2]}'), options)).toEqual({ extra: [1, 2] });
  });
});
