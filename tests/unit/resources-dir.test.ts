import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProfiles } from '../../src/main/profiles/profile-store.ts';
import { resourcesDir } from '../../src/main/resources-dir.ts';

describe('the shipped resources folder', () => {
  it('is found from the sources, as the CLI runs them', async () => {
    expect(resourcesDir()).toBe(resolve(import.meta.dirname, '../../resources'));
    expect(existsSync(resourcesDir('profiles', 'lockstep-ref.json'))).toBe(true);
    expect((await loadProfiles()).byId('lockstep-ref')).not.toBeNull();
  });
});
