// Profile files written for schema 1 name the serial question `serialNumber` (in `identity` and `at`);
// schema 2 names it `serial`, as the rest of the station does. A schema 1 file still loads, to the
// same profile as its schema 2 twin.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROFILE_SCHEMA_VERSION, profileSchema } from '../../../src/shared/profile.ts';

const PROFILES = join(import.meta.dirname, '../../../resources/profiles');

describe('profile schema versions', () => {
  it.each(['lockstep-ref.json', 'kestrel-k2.json'])('%s written as schema 1 loads as its schema 2 twin', (file) => {
    const current = JSON.parse(readFileSync(join(PROFILES, file), 'utf8')) as Record<string, Record<string, unknown>>;
    expect(current['schemaVersion']).toBe(PROFILE_SCHEMA_VERSION);
    const { serial: question, ...identity } = current['identity'] ?? {};
    const { serial: atQuestion, ...at } = current['at'] ?? {};
    const schema1 = { ...current, schemaVersion: 1, identity: { serialNumber: question, ...identity }, at: { ...at, serialNumber: atQuestion } };
    expect(profileSchema.parse(schema1)).toEqual(profileSchema.parse(current));
  });

  it('of a schema version this station does not know is refused', () => {
    const current = JSON.parse(readFileSync(join(PROFILES, 'lockstep-ref.json'), 'utf8')) as Record<string, unknown>;
    expect(profileSchema.safeParse({ ...current, schemaVersion: 3 }).success).toBe(false);
  });
});
