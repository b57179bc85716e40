// The security scan's list of explained findings is read from docs/electron.md; these pin down
// what counts as an explanation, so a row cannot silently stop matching.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acceptedFindings } from '../../../resources/build/security-scan.ts';

describe('the accepted findings of the security scan', () => {
  it('are the check and file of each table row that gives a reason', () => {
    const markdown = [
      '| check | file | why it is accepted |',
      '|---|---|---|',
      '| `PRELOAD_JS_CHECK` | `src/main/index.ts` | reviewed: exposes the typed bridge only |',
      '| `CONTEXT_ISOLATION_JS_CHECK` | `src/main/other.ts` |  |',
      'Text mentioning `SANDBOX_JS_CHECK` in `src/main/index.ts` outside the table.',
    ].join('\n');
    expect(acceptedFindings(markdown)).toEqual(new Set(['PRELOAD_JS_CHECK|src/main/index.ts']));
  });

  it('include what docs/electron.md explains today', () => {
    const accepted = acceptedFindings(readFileSync(resolve(import.meta.dirname, '../../../docs/electron.md'), 'utf8'));
    expect(accepted).toContain('PRELOAD_JS_CHECK|src/main/index.ts');
    expect(accepted).toContain('CSP_GLOBAL_CHECK|src/renderer/index.html');
  });
});
