// docs/records.md is the specification an auditor implements, so its examples are checked: the
// example chain-head line must be a valid, canonical, correctly signed head, and the very head of
// the conformance file the docs say it comes from. A doc example that drifts fails here.
import { verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/main/records/canonical-json.ts';
import { fingerprintOf, publicKeyFromRaw } from '../../../src/main/records/station-identity.ts';
import { chainHeadLineSchema, type VerifyProblem } from '../../../src/shared/records.ts';

const ROOT = join(import.meta.dirname, '../../..');
const DOC = readFileSync(join(ROOT, 'docs/records.md'), 'utf8');

/** The line of the fenced block that follows the marker comment. */
function exampleHead(): string {
  const match = /<!-- example head:[^\n]*-->\n```json\n([^\n]*)\n```/.exec(DOC);
  if (!match?.[1]) throw new Error('docs/records.md has no example head block after its marker');
  return match[1];
}

describe('docs/records.md', () => {
  it('shows a chain-head line that the schema accepts, in canonical order, signed by the key it names', () => {
    const line = exampleHead();
    const head = chainHeadLineSchema.parse(JSON.parse(line));
    expect(line).toBe(canonicalJson(head));
    const { signature, ...fields } = head;
    expect(line.replace(`"signature":"${signature}",`, '')).toBe(canonicalJson(fields));
    expect(fingerprintOf(Buffer.from(head.stationPublicKey, 'base64'))).toBe(head.stationFingerprint);
    expect(verify(null, Buffer.from(canonicalJson(fields)), publicKeyFromRaw(head.stationPublicKey), Buffer.from(signature, 'base64'))).toBe(true);
  });

  it('takes that head from the conformance file it names', () => {
    const fixture = /This example is the head of\s+`([^`]+)`/.exec(DOC)?.[1] ?? '';
    expect(fixture).toMatch(/^tests\/fixtures\/records-conformance\/.+\.jsonl$/);
    expect(readFileSync(join(ROOT, fixture), 'utf8').trimEnd().split('\n').at(-1)).toBe(exampleHead());
  });

  it('names every problem `records verify` can report, each in the table of checks', () => {
    const problems: Record<VerifyProblem, true> = { malformed: true, edited: true, deleted: true, reordered: true, inserted: true, truncated: true, signature: true, 'untrusted-key': true };
    const section = DOC.slice(DOC.indexOf('## How an auditor verifies an export'), DOC.indexOf('## Untrusted strings'));
    for (const problem of Object.keys(problems)) expect(section, problem).toContain(`\`${problem}\``);
  });
});
