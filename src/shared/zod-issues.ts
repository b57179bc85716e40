// How a validation failure is told to a person: one line per problem, each naming the field the way
// it reads in the JSON (`devices[3].faults[0].kind`), so the author of a file can go straight to it.
import type { z } from 'zod';

const MAX_LISTED = 20;

export function fieldPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`)).join('');
}

/** The first problems of a failed parse, one indented line each, and how many more there are. */
export function describeIssues(error: z.ZodError): string {
  const lines = error.issues.slice(0, MAX_LISTED).map((issue) => `  ${fieldPath(issue.path)}: ${issue.message}`);
  if (error.issues.length > MAX_LISTED) lines.push(`  … and ${error.issues.length - MAX_LISTED} more`);
  return lines.join('\n');
}
