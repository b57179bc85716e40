// The one way a test says it needs a Debian tool. On a developer's machine a missing tool skips the
// test with the reason; in CI (CI set, as .ci/run has it) it fails the test instead, since CI must
// run every test and `npm test`'s preflight installs every tool of resources/build/debian-packages.ts.
// A test can only require a command of that list, so the list stays what the tests need.
import type { TestContext } from 'vitest';
import { packageProviding } from '../../resources/build/debian-packages.ts';
import { findCommand } from '../../resources/build/find-command.ts';

/** Whether this run is CI's, where a test may not be skipped for a missing tool. */
export function inCi(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  const value = env['CI'];
  return value !== undefined && value !== '' && value !== 'false' && value !== '0';
}

/** Why `commands` cannot all run here, each missing one with its Debian package; null when they can. */
export function missingTools(commands: readonly string[], find: (command: string) => string | null = findCommand): string | null {
  const missing = commands.filter((command) => {
    if (!packageProviding(command)) throw new Error(`${command} is not a command of resources/build/debian-packages.ts; add it there first`);
    return find(command) === null;
  });
  if (missing.length === 0) return null;
  const names = [...new Set(missing.map((command) => packageProviding(command)?.name))];
  return names
    .map((name) => {
      const commands = missing.filter((command) => packageProviding(command)?.name === name);
      return `${commands.join(', ')} ${commands.length === 1 ? 'is' : 'are'} missing (Debian package ${name})`;
    })
    .join('; ');
}

/**
 * Skips the running test saying `why`, or in CI fails it with the same reason. The reason is also
 * printed, since vitest's report counts skipped tests without saying why.
 */
export function skipOrFail(context: Pick<TestContext, 'skip'>, why: string, ci: boolean = inCi()): void {
  if (ci) throw new Error(`${why}: in CI every test must run (npm test's preflight installs the Debian packages the tests need)`);
  const note = `${why}; npm test installs it`;
  console.warn(`skipped: ${note}`);
  context.skip(note);
}

/** Call first in a test (or in beforeEach): the test goes on only where every one of `commands` is here. */
export function requireTools(context: Pick<TestContext, 'skip'>, ...commands: string[]): void {
  const why = missingTools(commands);
  if (why !== null) skipOrFail(context, why);
}

/**
 * For a whole suite (`describe.skipIf`): `why` it cannot run here, or null. In CI a reason throws
 * instead, so a suite is never skipped there.
 */
export function suiteSkipReason(why: string | null, ci: boolean = inCi()): string | null {
  if (why !== null && ci) throw new Error(`${why}: in CI every test must run (npm test's preflight installs the Debian packages the tests need)`);
  if (why !== null) console.warn(`skipped: ${why}; npm test installs it`);
  return why;
}
