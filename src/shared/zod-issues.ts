// How a validation failure is told to a person: one line per problem, each naming the field the way
// it reads in the JSON (`devices[3].faults[0].kind`), so the author of a file can go straight to it.
// Keys and messages come from the file (zod quotes unknown keys), so both are shown escaped.
import type { z } from 'zod';
import { displaySafe } from './untrusted.ts';

const MAX_LISTED = 20;

/** `partitions[1].sha256`, the way a person looking at the JSON would name the field. */
export function fieldPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${displaySafe(String(part), 64)}`)).join('');
}

/** `field: message` for the first `limit` problems, and how many more there are (0 when none). */
export function issueLines(error: z.ZodError, limit = MAX_LISTED): { readonly lines: string[]; readonly more: number } {
  const lines = error.issues.slice(0, limit).map((issue) => `${fieldPath(issue.path)}: ${displaySafe(issue.message, 160)}`);
  return { lines, more: Math.max(0, error.issues.length - limit) };
}

/** The first problems of a failed parse, one indented line each, and how many more there are. */
export function describeIssues(error: z.ZodError): string {
  const { lines, more } = issueLines(error);
  return [...lines.map((line) => `  ${line}`), ...(more > 0 ? [`  … and ${more} more`] : [])].join('\n');
}

/** The same problems on one line (`field: message; …`), for an error message that must stay one line. */
export function inlineIssues(error: z.ZodError): string {
  const { lines, more } = issueLines(error);
  return [...lines, ...(more > 0 ? [`… and ${more} more`] : [])].join('; ');
}

/** The first problem alone, for a message with room for one: its field (null at the top level) and what is wrong. */
export function firstIssue(error: z.ZodError): { readonly field: string | null; readonly message: string } {
  const issue = error.issues[0];
  return { field: issue && issue.path.length > 0 ? fieldPath(issue.path) : null, message: displaySafe(issue?.message ?? 'invalid', 160) };
}
