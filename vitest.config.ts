import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    // Three test files at once on our 2-core machines: most integration files spend their time waiting on simulators,
    // PostgreSQL, CUPS and child processes rather than computing. Measured on a quiet machine: the whole suite in 8 min 45 s
    // (no failure) against 15 min 13 s with vitest's default of one file per core.
    maxWorkers: 3,
  },
});
