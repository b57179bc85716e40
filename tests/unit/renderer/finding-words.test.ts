// Issue 20 #5: a finding the station names by key (CodedError's `detail`) is shown in the operator's language only if
// the UI has words for it; without them the renderer falls back to the station's English. So every key the station's
// sources name has words (en here; zh-CN has the same keys by i18n.test.ts), and every refusal of the records, whose
// code alone says only "the records refused this", names its finding.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { en } from '../../../src/renderer/src/i18n/en.ts';

const ROOT = join(import.meta.dirname, '../../..');
const FINDING = /^[A-Z][A-Z0-9_]+$/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

interface Scan {
  /** Finding keys the source names (`detail: 'KEY'`, or either side of `detail: a ? 'A' : 'B'`), with where. */
  readonly keys: { key: string; at: string }[];
  /** `new RecordsError('RECORDS_REFUSED', …)` calls without a `detail`, by where. */
  readonly unnamed: string[];
}

function scan(file: string, text = readFileSync(file, 'utf8')): Scan {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: Scan = { keys: [], unnamed: [] };
  const where = (node: ts.Node): string => `${relative(ROOT, file)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  const literals = (node: ts.Expression): ts.StringLiteral[] =>
    ts.isStringLiteral(node) ? [node] : ts.isConditionalExpression(node) ? [...literals(node.whenTrue), ...literals(node.whenFalse)] : [];
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAssignment(node) && node.name.getText() === 'detail') {
      for (const literal of literals(node.initializer)) if (FINDING.test(literal.text)) found.keys.push({ key: literal.text, at: where(literal) });
    }
    if (ts.isNewExpression(node) && node.expression.getText() === 'RecordsError') {
      const [code, , options] = node.arguments ?? [];
      const named = options && ts.isObjectLiteralExpression(options) && options.properties.some((property) => property.name?.getText() === 'detail');
      if (code && ts.isStringLiteral(code) && code.text === 'RECORDS_REFUSED' && !named) found.unnamed.push(where(node));
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const station = [...sources(join(ROOT, 'src/main')), ...sources(join(ROOT, 'src/shared'))].map((file) => scan(file));

describe('findings the station names by key', () => {
  it('every finding key in the station has words in the UI', () => {
    const keys = station.flatMap((found) => found.keys);
    expect(keys.length).toBeGreaterThan(80);
    const words = en.failureDetail as Record<string, string>;
    expect(keys.filter(({ key }) => !(key in words)).map(({ key, at }) => `${at} ${key}`)).toEqual([]);
  });

  it('every refusal of the records names its finding', () => {
    expect(station.flatMap((found) => found.unnamed)).toEqual([]);
  });

  it('the scan finds a finding without words and a refusal without a finding (the check itself works)', () => {
    const found = scan(
      join(ROOT, 'src/main/bad.ts'),
      "throw new RecordsError('RECORDS_REFUSED', 'no'); new X('A', 'b', { detail: flag ? 'NO_SUCH_WORDS' : 'OPERATOR_EXISTS' });",
    );
    expect(found).toEqual({
      keys: [
        { key: 'NO_SUCH_WORDS', at: 'src/main/bad.ts:1' },
        { key: 'OPERATOR_EXISTS', at: 'src/main/bad.ts:1' },
      ],
      unnamed: ['src/main/bad.ts:1'],
    });
  });
});
