import type { z } from 'zod';
import { isPlainObject } from './merge.js';
import { type Def, innerDef } from './zod-def.js';

/** The option of a union that fits the value's shape (list or object), through optionals and pipes. */
function unwrap(schema: z.ZodType, value: unknown): Def {
  const def = innerDef(schema);
  if (def.type !== 'union' || !def.options) return def;
  const wanted = Array.isArray(value) ? ['array'] : ['object', 'record'];
  const option = def.options.find((o) => wanted.includes(unwrap(o, value).type));
  return option === undefined ? def : unwrap(option, value);
}

/** True when a null is anywhere in a parsed document (most files have none: they are left as they are). */
function hasNull(value: unknown): boolean {
  if (value === null) return true;
  if (typeof value !== 'object') return false;
  for (const item of Array.isArray(value) ? value : Object.values(value)) if (hasNull(item)) return true;
  return false;
}

/**
 * `nix eval --json` prints an unset option as `null`: drop those, but only at keys the schema
 * knows, so a misspelled key is still refused (with its near match) even when its value is null.
 * The input (possibly shared through the load cache) is never mutated: a value with a null is
 * copied without it, one without any is returned as it is.
 */
export function withoutNulls(value: unknown, schema: z.ZodType): unknown {
  return hasNull(value) ? stripped(value, schema) : value;
}

function stripped(value: unknown, schema: z.ZodType): unknown {
  const def = unwrap(schema, value);
  if (Array.isArray(value)) {
    return def.type === 'array' && def.element ? value.map((item) => stripped(item, def.element!)) : value;
  }
  if (!isPlainObject(value)) return value;
  if (def.type === 'record' && def.valueType) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stripped(v, def.valueType!)]));
  }
  if (def.type !== 'object' || !def.shape) return value;
  const entries: [string, unknown][] = [];
  for (const [key, item] of Object.entries(value)) {
    const field = Object.hasOwn(def.shape, key) ? def.shape[key] : undefined;
    if (field === undefined) entries.push([key, item]);
    else if (item !== null) entries.push([key, stripped(item, field)]);
  }
  // fromEntries defines own properties: a key "__proto__" stays a key
  return Object.fromEntries(entries);
}
