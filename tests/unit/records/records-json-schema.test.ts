// The JSON Schema files beside docs/records.md are what the zod schemas generate (regenerate them
// with `npm run records-schema`), and the base64 rule they state is exactly "re-encoding gives the
// same text".
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RECORDS_JSON_SCHEMA_DIR, recordsJsonSchemaFiles } from '../../../src/shared/records-json-schema.ts';
import { chainHeadLineSchema, stationPublicKeySchema } from '../../../src/shared/records.ts';

const DIR = join(import.meta.dirname, '../../..', RECORDS_JSON_SCHEMA_DIR);
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

describe('the shipped JSON Schema files', () => {
  const generated = recordsJsonSchemaFiles();

  it.each(generated)('$name is what the zod schemas generate', ({ name, text }) => {
    expect(readFileSync(join(DIR, name), 'utf8'), `run npm run records-schema to regenerate ${name}`).toBe(text);
  });

  it('are all generated: no stale schema file is left beside the docs', () => {
    const shipped = readdirSync(DIR).filter((name) => name.endsWith('.schema.json'));
    expect(shipped.sort()).toEqual(generated.map(({ name }) => name).sort());
  });

  it('state the failure members of each format by outcome, which zod checks in a refinement', () => {
    const format3 = JSON.parse(generated.find(({ name }) => name === 'records-format-3.schema.json')?.text ?? '{}') as { oneOf?: { properties: object }[] };
    expect(format3.oneOf?.map(({ properties }) => Object.keys(properties))).toEqual([
      ['outcome', 'failedStep', 'failureCode', 'failureReason'],
      ['outcome', 'failedStep', 'failureCode', 'failureReason'],
    ]);
  });
});

describe('canonical base64 of the key and the signature', () => {
  /** Every text that differs from a genuine encoding only in its last data character. */
  function variants(bytes: number, padding: string): string[] {
    const genuine = randomBytes(bytes).toString('base64');
    const at = genuine.length - padding.length - 1;
    return [...BASE64].map((char) => `${genuine.slice(0, at)}${char}${padding}`);
  }

  it('accepts a key text exactly when decoding and re-encoding gives the same text', () => {
    for (const text of variants(32, '=')) {
      expect(stationPublicKeySchema.safeParse(text).success, text).toBe(Buffer.from(text, 'base64').toString('base64') === text);
    }
    expect(variants(32, '=').filter((text) => stationPublicKeySchema.safeParse(text).success)).toHaveLength(16);
  });

  it('accepts a signature text exactly when decoding and re-encoding gives the same text', () => {
    const signature = chainHeadLineSchema.shape.signature;
    for (const text of variants(64, '==')) {
      expect(signature.safeParse(text).success, text).toBe(Buffer.from(text, 'base64').toString('base64') === text);
    }
    expect(variants(64, '==').filter((text) => signature.safeParse(text).success)).toHaveLength(4);
  });
});
