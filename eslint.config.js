import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

const electronOnlyHere = {
  paths: [{ name: 'electron', message: 'Only src/main/index.ts, src/main/ipc.ts and src/preload import electron; the core must run under plain Node.' }],
};

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-restricted-imports': ['error', electronOnlyHere],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/main/index.ts', 'src/main/ipc.ts', 'src/preload/**/*.ts', 'tests/e2e/electron.spec.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // Playwright reads a fixture's dependencies from its destructuring pattern, so `{}` means "none".
    files: ['tests/e2e/**/*.ts'],
    rules: { 'no-empty-pattern': 'off' },
  },
  {
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^(node:|electron$|react)', message: 'src/shared holds the contract and domain types only: no Node, DOM or UI imports.' }] },
      ],
    },
  },
  {
    // The station's core reaches the simulator through its public index alone, and never the renderer.
    files: ['src/main/**/*.ts'],
    ignores: ['src/main/index.ts', 'src/main/ipc.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          ...electronOnlyHere,
          patterns: [
            { regex: '^(\\.\\./)+sim/(?!index\\.ts$)', message: 'src/main uses the simulator only through src/sim/index.ts.' },
            { regex: '^(\\.\\./)+renderer/', message: 'src/main does not import the renderer.' },
          ],
        },
      ],
    },
  },
  {
    // The virtual handset is a product of its own: it shares the contract and the neutral library, not the station's core.
    files: ['src/sim/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^(electron$|react|(\\.\\./)+main/)', message: 'src/sim imports only src/shared and src/lib.' }] },
      ],
    },
  },
  {
    // The neutral library (sparse images, durable files, waits) depends on nothing of the station or the simulator.
    files: ['src/lib/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^(electron$|react|(\\.\\./)+(main|sim|renderer)/)', message: 'src/lib depends only on Node, src/shared and itself.' }] },
      ],
    },
  },
  {
    files: ['src/renderer/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^(node:|electron$|\\.\\./\\.\\./main/)', message: 'The renderer reaches the station only through window.lockstep.' }] },
      ],
    },
  },
);
