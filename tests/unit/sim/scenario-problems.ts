import { expect } from 'vitest';
import { parseScenario, ScenarioError } from '../../../src/sim/index.ts';

/** The message a refused scenario gets; fails the test if the scenario is accepted. */
export function problems(value: unknown): string {
  try {
    parseScenario(value, 'fleet.json');
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    return (error as Error).message;
  }
  throw new Error('expected the scenario to be refused');
}
