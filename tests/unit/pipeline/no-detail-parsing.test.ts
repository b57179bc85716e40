// "No code parses detail" (issue 18): a step event's `detail` is text for the operator, and whatever
// decides what may happen to a handset reads the event's typed `data`. This test reads every source
// file under src/ and fails on code that takes a decision from a `detail` — matching it with a
// regular expression, splitting it, testing how it starts, ends or what it includes, parsing it as
// JSON or a number, or comparing it with literal text. Everything named `detail` in the sources is
// operator text, so the rule holds for all of them. The one exception is the migration that converts
// the text events of stations from before the structured journal, once (records/legacy-step-events.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
const MIGRATION = 'src/main/records/legacy-step-events.ts';

/** An expression ending in a name that ends in `detail` (`detail`, `event.detail`, `alarm?.detail`, `failureDetail`). */
const DETAIL = String.raw`[\w$.?\]\)]*?\b\w*[dD]etail\b`;
const PARSES = [
  new RegExp(String.raw`\b\w*[dD]etail\s*\??\.\s*(split|match|matchAll|startsWith|endsWith|includes|indexOf|lastIndexOf|search|localeCompare)\s*\(`),
  new RegExp(String.raw`\.(exec|test)\s*\(\s*${DETAIL}`),
  new RegExp(String.raw`\b(JSON\.parse|parseInt|parseFloat|Number|BigInt)\s*\(\s*${DETAIL}`),
  new RegExp(String.raw`\b\w*[dD]etail\s*[!=]==?\s*['"\`]`),
  new RegExp(String.raw`['"\`]\s*[!=]==?\s*${DETAIL}`),
  new RegExp(String.raw`\bswitch\s*\(\s*${DETAIL}`),
];

/** The lines of `source` that take a decision from a detail, comments left out. */
function detailParsing(source: string): string[] {
  return source
    .split('\n')
    .map((line) => line.replace(/^\s*(\/\/|\*|\/\*).*$/, '').replace(/\s\/\/\s.*$/, ''))
    .filter((line) => PARSES.some((pattern) => pattern.test(line)))
    .map((line) => line.trim());
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.(ts|tsx|mts|cts|js|mjs)$/.test(entry.name) ? [path] : [];
  });
}

describe('step event details', () => {
  it('are parsed by no code under src/ but the migration of old text events', () => {
    const found = sources(join(ROOT, 'src'))
      .map((path) => relative(ROOT, path).replaceAll('\\', '/'))
      .filter((path) => path !== MIGRATION)
      .flatMap((path) => detailParsing(readFileSync(join(ROOT, path), 'utf8')).map((line) => `${path}: ${line}`));
    expect(found).toEqual([]);
  });

  it('would be caught parsing: the search finds the migration, which does', () => {
    expect(detailParsing(readFileSync(join(ROOT, MIGRATION), 'utf8')).length).toBeGreaterThan(0);
  });

  it.each([
    "const mask = /^programmed bank (\\d+)/.exec(event.detail ?? '');",
    "if (FUSE_JOURNAL.test(entry.detail)) burned = true;",
    "const [, state] = event.detail.split('=');",
    "if (alarm.detail?.startsWith('[FUSES_FOUND_SET]')) quarantine();",
    "const words = detail.matchAll(WORD);",
    'const facts = JSON.parse(row.detail);',
    "if (event.detail === 'readback matches the manifest') verified = true;",
    "switch (event.detail) {",
  ])('would be caught: %s', (line) => {
    expect(detailParsing(line)).toEqual([line]);
  });

  it.each([
    "return { status: 'passed', data: null, detail: outcome.detail };",
    "detail: `slot ${context.slot}, profile ${found.profile.id}`,",
    "`'${displaySafe(history.alarm.detail ?? '', 300)}'`",
    'detail.slice(0, 2000),',
    "// a comment may say detail.split('=') was how it was done",
  ])('lets operator text through: %s', (line) => {
    expect(detailParsing(line)).toEqual([]);
  });
});
