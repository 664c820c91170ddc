import { z } from 'zod';
import { Inventory, StateFile } from './schema.js';

export const SCHEMA_FILES = { inventory: Inventory, state: StateFile } as const;
export type SchemaFile = keyof typeof SCHEMA_FILES;

/** JSON Schema of a file users write, generated from the zod schema so the two cannot drift. */
export function jsonSchemaOf(file: SchemaFile): Record<string, unknown> {
  const schema = z.toJSONSchema(SCHEMA_FILES[file], { io: 'input', target: 'draft-2020-12' });
  return {
    ...schema,
    title:
      file === 'inventory'
        ? 'borgops inventory (inventory.json / inventory.yaml)'
        : 'borgops machine states (machines/<machine>/state.json / .yaml)',
  };
}

/** One schema that accepts either file, for editors that take a single schema. */
export function combinedJsonSchema(): Record<string, unknown> {
  const strip = ({ $schema: _s, ...rest }: Record<string, unknown>) => rest;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'borgops config files',
    anyOf: [{ $ref: '#/$defs/inventory' }, { $ref: '#/$defs/state' }],
    $defs: { inventory: strip(jsonSchemaOf('inventory')), state: strip(jsonSchemaOf('state')) },
  };
}
