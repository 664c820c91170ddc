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

  it('says what validate refuses where JSON Schema can: absolute folders, the module name; no $id that does not resolve', () => {
    const state = JSON.stringify(jsonSchemaOf('state'));
    const pattern = /"folders":\{[^}]*"items":\{"type":"string","pattern":"((?:[^"\\]|\\.)*)"/.exec(
      state,
    )?.[1];
    expect(pattern).toBeDefined();
    const folder = new RegExp(JSON.parse(`"${pattern}"`) as string);
    expect(['/var/lib/app', '/', '/a..b/c'].filter((p) => folder.test(p))).toEqual([
      '/var/lib/app',
      '/',
      '/a..b/c',
    ]);
    expect(['var/lib/app', '/a/../b', '/..', '../x'].filter((p) => folder.test(p))).toEqual([]);
    expect(JSON.stringify(jsonSchemaOf('inventory'))).toContain('"enum":["borgbackup","@clan/borgbackup"]');
    for (const schema of [jsonSchemaOf('inventory'), jsonSchemaOf('state'), combinedJsonSchema()]) {
      expect(schema).not.toHaveProperty('$id');
    }
  });
});
