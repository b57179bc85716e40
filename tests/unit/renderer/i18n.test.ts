// Every operator-facing string goes through i18n, and both languages are complete: the same keys,
// the same placeholders, no empty text, every key the UI names exists, and no JSX text or text
// attribute bypasses the translation layer.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { en } from '../../../src/renderer/src/i18n/en.ts';
import { zhCN } from '../../../src/renderer/src/i18n/zh-CN.ts';
import { LABEL_FORMATS, PRINTER_PROBLEMS } from '../../../src/shared/labels.ts';
import { STEP_STATES } from '../../../src/shared/pipeline.ts';
import { RECORD_OUTCOMES, ROLES, STEP_NAMES, STEP_STATUSES, type VerifyProblem } from '../../../src/shared/records.ts';

const RENDERER = join(import.meta.dirname, '../../../src/renderer/src');
const LANGUAGES = { en, 'zh-CN': zhCN } as const;

function leaves(value: unknown, prefix = ''): Map<string, string> {
  const found = new Map<string, string>();
  for (const [key, child] of Object.entries(value as object)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof child === 'string') found.set(path, child);
    else for (const [inner, text] of leaves(child, path)) found.set(inner, text);
  }
  return found;
}

const placeholders = (text: string): string[] => [...text.matchAll(/\{\{(\w+)\}\}/g)].map((match) => match[1] as string).sort();

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.tsx?$/.test(entry.name) && !path.includes(`${join('src', 'i18n')}`) ? [path] : [];
  });
}

/** Text a person reads: any letter in any script. */
const WORDS = /\p{L}/u;
const TEXT_ATTRIBUTES = new Set(['aria-label', 'aria-description', 'title', 'placeholder', 'alt', 'label']);

function bypasses(file: string, text = readFileSync(file, 'utf8')): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const found: string[] = [];
  const where = (node: ts.Node): string => `${relative(RENDERER, file)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  const visit = (node: ts.Node): void => {
    if (ts.isJsxText(node) && WORDS.test(node.text)) found.push(`${where(node)} JSX text "${node.text.trim()}"`);
    if (ts.isJsxAttribute(node) && TEXT_ATTRIBUTES.has(node.name.getText()) && node.initializer && ts.isStringLiteral(node.initializer) && WORDS.test(node.initializer.text)) {
      found.push(`${where(node)} ${node.name.getText()}="${node.initializer.text}"`);
    }
    if (ts.isJsxExpression(node) && node.expression && ts.isStringLiteral(node.expression) && WORDS.test(node.expression.text)) {
      found.push(`${where(node)} JSX string {"${node.expression.text}"}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('operator UI languages', () => {
  const reference = leaves(en);

  it.each(Object.keys(LANGUAGES))('%s has exactly the English keys, each with text and the same placeholders', (language) => {
    const messages = leaves(LANGUAGES[language as keyof typeof LANGUAGES]);
    expect([...messages.keys()].sort()).toEqual([...reference.keys()].sort());
    for (const [key, text] of messages) {
      expect(text.trim(), key).not.toBe('');
      expect(placeholders(text), key).toEqual(placeholders(reference.get(key) as string));
    }
  });

  it('has a translation for every key the UI asks for by name', () => {
    const missing: string[] = [];
    for (const file of sources(RENDERER)) {
      for (const match of readFileSync(file, 'utf8').matchAll(/\bt\(\s*'([^']+)'/g)) {
        const key = match[1] as string;
        const plural = [`${key}_one`, `${key}_other`].every((form) => reference.has(form));
        if (!reference.has(key) && !plural) missing.push(`${relative(RENDERER, file)}: ${key}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('has words for every value the UI translates by computed key', () => {
    const problems: Record<VerifyProblem, true> = { malformed: true, edited: true, deleted: true, reordered: true, inserted: true, truncated: true, signature: true, 'untrusted-key': true };
    const families: [keyof typeof en, readonly string[]][] = [
      ['steps', STEP_NAMES],
      ['stepState', STEP_STATES],
      ['eventStatus', STEP_STATUSES],
      ['roles', ROLES],
      ['outcome', RECORD_OUTCOMES],
      ['verifyProblem', Object.keys(problems)],
      ['themes', ['system', 'light', 'dark']],
      ['languages', ['en', 'zh-CN']],
      ['nav', ['station', 'history', 'settings']],
      ['printerProblems', PRINTER_PROBLEMS],
      ['labelFormats', LABEL_FORMATS],
    ];
    for (const [family, values] of families) for (const value of values) expect(reference.has(`${family}.${value}`), `${family}.${value}`).toBe(true);
  });

  it('leaves no JSX text or text attribute outside the i18n layer', () => {
    expect(sources(RENDERER).flatMap((file) => bypasses(file))).toEqual([]);
  });

  it('catches a bypass when there is one (the check itself works)', () => {
    const file = join(RENDERER, 'bad.tsx');
    const found = bypasses(file, 'export const Bad = () => <p title="Sign in">Hello {"there"}<b aria-label={t("ok")}>{t("x")} · —</b></p>;');
    expect(found).toEqual(['bad.tsx:1 title="Sign in"', 'bad.tsx:1 JSX text "Hello"', 'bad.tsx:1 JSX string {"there"}']);
  });
});
