import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { combinedJsonSchema, jsonSchemaOf } from '../../../src/config/json-schema.js';

const schemaDir = new URL('../../../examples/schema/', import.meta.url);

describe('JSON Schema', () => {
  it.each(['inventory', 'state'] as const)(
    'examples/schema/%s.schema.json is generated from the zod schema (run `borgops schema --out-dir examples/schema`)',
    async (file) => {
      const committed = JSON.parse(
        await readFile(new URL(`${file}.schema.json`, schemaDir), 'utf8'),
      ) as unknown;
      expect(committed).toEqual(jsonSchemaOf(file));
    },
  );

  it('describes strict objects and the accepted values', () => {
    const inventory = jsonSchemaOf('inventory') as { additionalProperties: boolean; required: string[] };
    expect(inventory.additionalProperties).toBe(false);
    expect(inventory.required).toEqual(['instances']);
    const text = JSON.stringify(inventory);
    expect(text).toContain('"repokey-blake2"');
    expect(text).toContain('"destinations"');
    expect(JSON.stringify(combinedJsonSchema().$defs)).toContain('preBackupScript');
  });
});
