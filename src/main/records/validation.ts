import type { z } from 'zod';
import { firstIssue, inlineIssues } from '../../shared/zod-issues.ts';
import { RecordsError } from './errors.ts';

/** Validates input at the boundary between the pipeline and the store. */
export function parseInput<T>(schema: z.ZodType<T, unknown>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const { field } = firstIssue(result.error);
    throw new RecordsError('RECORDS_REFUSED', `invalid ${what}: ${inlineIssues(result.error)}`, {
      detail: 'INPUT_INVALID',
      params: { field: field ?? '—', count: String(result.error.issues.length) },
    });
  }
  return result.data;
}
