// The JSON Schema files shipped beside docs/records.md, generated from the zod schemas that
// `records verify` applies, so an auditor's own verifier can check every member without reading
// our code. A test compares the shipped files with this output, so they cannot drift apart.
import { z } from 'zod';
import {
  FAILURE_FIELDS,
  chainHeadLineSchema,
  elidedLineSchema,
  recordFormat1Schema,
  recordFormat2Schema,
  recordFormat3Schema,
  recordFormat4Schema,
  recordLineSchema,
} from './records.ts';
import {
  depotExportStartSchema,
  depotHeadLineSchema,
  labelJobLineSchema,
  labelOutcomeLineSchema,
  stationHeadLineSchema,
  stationHeadLineV1Schema,
  stationHeadLineV3Schema,
} from './depot-export.ts';

/** Where the files live in the repository, and the prefix of their `$id`s. */
export const RECORDS_JSON_SCHEMA_DIR = 'docs';

const FORMATS = [
  { id: 'records-format-1', schema: recordFormat1Schema, fields: FAILURE_FIELDS[1], title: 'A provisioning record of format 1 (no recordVersion)' },
  { id: 'records-format-2', schema: recordFormat2Schema, fields: FAILURE_FIELDS[2], title: 'A provisioning record of format 2' },
  { id: 'records-format-3', schema: recordFormat3Schema, fields: FAILURE_FIELDS[3], title: 'A provisioning record of format 3' },
  { id: 'records-format-4', schema: recordFormat4Schema, fields: FAILURE_FIELDS[4], title: 'A provisioning record of format 4 (this version writes it)' },
] as const;

/** The zod refinement, which JSON Schema cannot take from zod: the failure members by outcome. */
function failureRule(fields: readonly string[]) {
  const members = (outcome: string, value: object) => ({
    properties: { outcome: { const: outcome }, ...Object.fromEntries(fields.map((field) => [field, value])) },
  });
  return { oneOf: [members('failed', { not: { type: 'null' } }), members('provisioned', { type: 'null' })] };
}

/** File name (under RECORDS_JSON_SCHEMA_DIR) and its exact text, for each shipped schema. */
export function recordsJsonSchemaFiles(): { readonly name: string; readonly text: string }[] {
  const registry = z.registry<{ id: string; title: string; description?: string }>();
  for (const { id, schema, title } of FORMATS) registry.add(schema, { id, title });
  registry.add(z.union([recordLineSchema, elidedLineSchema, chainHeadLineSchema]), {
    id: 'records-export-line',
    title: 'One line of a Lockstep JSON Lines export (lockstep-records/1 to /4)',
    description: 'docs/records.md states the rules a schema cannot: canonical bytes, hashes, links, counts, filter and signature.',
  });
  const depotLines = [depotExportStartSchema, recordLineSchema, elidedLineSchema, labelJobLineSchema, labelOutcomeLineSchema] as const;
  registry.add(z.union([...depotLines, stationHeadLineV3Schema, stationHeadLineSchema, stationHeadLineV1Schema, depotHeadLineSchema]), {
    id: 'depot-export-line',
    title:
      'One line of a Lockstep depot export (lockstep-depot-export/3; /2 without label lines nor label counts; /1 whose station heads also carry no key nor signed head)',
    description:
      'docs/records.md ("The depot export") states the rules a schema cannot: canonical bytes, hashes, links, sections, counts, filter, ' +
      'and which station-head form each format takes.',
  });
  const rules = new Map<unknown, readonly string[]>(FORMATS.map(({ schema, fields }) => [schema, fields]));
  const { schemas } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    metadata: registry,
    uri: (id) => `${id}.schema.json`,
    override: ({ zodSchema, jsonSchema }) => {
      const fields = rules.get(zodSchema);
      if (fields) Object.assign(jsonSchema, failureRule(fields));
    },
  });
  return Object.entries(schemas).map(([id, schema]) => ({ name: `${id}.schema.json`, text: `${JSON.stringify(schema, null, 2)}\n` }));
}
