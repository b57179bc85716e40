import type { z } from 'zod';
import { RecordsError } from './errors.ts';

/** Validates input at the boundary between the pipeline and the store. */
export function parseInput<T>(schema: z.ZodType<T, unknown>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new RecordsError('RECORDS_REFUSED', `invalid ${what}: ${result.error.issues.map((issue) => `${issue.path.join('.') || 'value'}: ${issue.message}`).join('; ')}`);
  }
  return result.data;
}
