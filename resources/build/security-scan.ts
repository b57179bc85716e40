// `npm run security`: Electronegativity over the app's sources. Every finding must be explained in
// docs/electron.md's table of accepted findings (check and file); anything else, or a file the
// scanner could not parse, fails the run. Runs offline: the one check that needs the internet (a
// list of Electron releases fetched at scan time) is left out, and our Electron version is given.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

interface Finding {
  readonly id: string;
  readonly file: string;
  readonly location: { readonly line: number; readonly column: number };
  readonly severity: { readonly name: string };
  readonly confidence: { readonly name: string };
  readonly description: string;
}

interface ScanResult {
  readonly issues: readonly Finding[];
  readonly errors: readonly { readonly file: string; readonly message: string; readonly tolerable: boolean }[];
}

type Electronegativity = (options: Record<string, unknown>) => Promise<ScanResult>;

const ROOT = resolve(import.meta.dirname, '../..');
const SCANNED = 'src';
const EXPLANATIONS = join(ROOT, 'docs/electron.md');
/** Needs the Electron release list from the internet at scan time; our Electron is pinned and upgraded through npm. */
const EXCLUDED_CHECKS = ['AvailableSecurityFixesGlobalCheck'];

/** `check|file` pairs from the rows of docs/electron.md's accepted-findings table: | `CHECK` | `file` | why | */
export function acceptedFindings(markdown: string): Set<string> {
  const rows = markdown.split('\n').map((line) => /^\|\s*`([A-Z_]+)`\s*\|\s*`([^`]+)`\s*\|.*\S.*\|\s*$/.exec(line));
  return new Set(rows.flatMap((row) => (row ? [`${row[1]}|${row[2]}`] : [])));
}

async function main(): Promise<number> {
  const electronVersion = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies['electron'];
  const scan = createRequire(import.meta.url)('@doyensec/electronegativity') as Electronegativity;
  const result = await scan({ input: join(ROOT, SCANNED), isRelative: true, electronVersionOverride: electronVersion, excludeFromScan: EXCLUDED_CHECKS });
  const accepted = acceptedFindings(readFileSync(EXPLANATIONS, 'utf8'));
  const seen = new Set<string>();
  let unexplained = 0;
  for (const finding of result.issues) {
    const file = `${SCANNED}/${finding.file}`;
    const key = `${finding.id}|${file}`;
    seen.add(key);
    const verdict = accepted.has(key) ? 'explained' : 'UNEXPLAINED';
    if (!accepted.has(key)) unexplained += 1;
    console.log(`${verdict.padEnd(11)} ${finding.severity.name.padEnd(13)} ${finding.confidence.name.padEnd(9)} ${finding.id} ${file}:${finding.location.line} ${finding.description}`);
  }
  for (const error of result.errors) console.log(`${error.tolerable ? 'warning' : 'NOT SCANNED'} ${SCANNED}/${error.file}: ${error.message}`);
  for (const key of accepted) if (!seen.has(key)) console.log(`note: docs/electron.md explains ${key.replace('|', ' in ')}, which the scan no longer finds`);
  const unscanned = result.errors.filter((error) => !error.tolerable).length;
  console.log(`electronegativity (Electron ${electronVersion}): ${result.issues.length} finding(s), ${unexplained} unexplained, ${unscanned} file(s) not scanned`);
  return unexplained + unscanned === 0 ? 0 : 1;
}

if (import.meta.main) {
  // The scanner asks the internet for fresh translations and, when that fails offline, its HTTP
  // client throws from a retry timer after the request was already given up; nothing depends on it.
  process.on('uncaughtException', (error) => {
    if (error.message.includes('`onCancel` handler was attached after the promise settled')) return;
    console.error(error);
    process.exit(2);
  });
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(2);
    },
  );
}
