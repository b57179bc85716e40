// Writes the JSON Schema files shipped beside docs/records.md from the zod schemas
// (src/shared/records-json-schema.ts). Run `npm run records-schema` after changing a record schema;
// tests/unit/records/records-json-schema.test.ts fails until the shipped files match.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RECORDS_JSON_SCHEMA_DIR, recordsJsonSchemaFiles } from '../../src/shared/records-json-schema.ts';

const dir = join(import.meta.dirname, '../..', RECORDS_JSON_SCHEMA_DIR);
for (const { name, text } of recordsJsonSchemaFiles()) {
  writeFileSync(join(dir, name), text);
  process.stdout.write(`wrote ${RECORDS_JSON_SCHEMA_DIR}/${name}\n`);
}
