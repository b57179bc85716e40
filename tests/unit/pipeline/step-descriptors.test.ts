// Every step descriptor the runner is given has its own unit test here, and exactly the fuse and lock
// steps are irreversible (so the runner asks the supervisor's gate and the records' authorisation
// before them and before nothing else).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Step } from '../../../src/main/pipeline/step.ts';
import * as sequences from '../../../src/main/pipeline/steps/index.ts';
import { IRREVERSIBLE_STEPS, STEP_NAMES } from '../../../src/shared/records.ts';

const HERE = import.meta.dirname;
const STEPS_DIR = join(HERE, '../../../src/main/pipeline/steps');

const isStep = (value: unknown): value is Step => typeof value === 'object' && value !== null && 'name' in value && 'run' in value;

/** Every descriptor steps/index.ts hands out, in any of its sequences. */
const descriptors: Step[] = [...new Set(Object.values(sequences).flatMap((value) => (Array.isArray(value) ? value : [value])).filter(isStep))];

/** The files of steps/ that define a descriptor (`export const x: Step<…>`), by the step they define. */
const stepFiles = readdirSync(STEPS_DIR).filter((file) => /export const \w+: Step</.test(readFileSync(join(STEPS_DIR, file), 'utf8')));

describe('the step descriptors', () => {
  it('are one per step of the lifecycle, each in its own file, in the lifecycle in order', () => {
    expect(sequences.LIFECYCLE.map((step) => step.name)).toEqual([...STEP_NAMES]);
    expect(descriptors.map((step) => step.name).sort()).toEqual([...STEP_NAMES].sort());
    expect(stepFiles.sort()).toEqual(STEP_NAMES.map((name) => `${name}.ts`).sort());
  });

  it.each(STEP_NAMES)('%s has a unit test that runs its descriptor', (name) => {
    const test = join(HERE, `${name}-step.test.ts`);
    expect(existsSync(test), `tests/unit/pipeline/${name}-step.test.ts`).toBe(true);
    const source = readFileSync(test, 'utf8');
    expect(source).toContain(`from '../../../src/main/pipeline/steps/${name}.ts'`);
    expect(source).toMatch(new RegExp(`\\b${name}\\.(run|skipReason)\\b`));
  });

  it('are irreversible exactly for fuse and lock', () => {
    expect(descriptors.filter((step) => step.irreversible).map((step) => step.name).sort()).toEqual([...IRREVERSIBLE_STEPS].sort());
    expect([...IRREVERSIBLE_STEPS].sort()).toEqual(['fuse', 'lock']);
  });
});
