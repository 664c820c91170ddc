import type { z } from 'zod';

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  valueType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  in?: z.ZodType;
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The option of a union that fits the value's shape (list or object), through optionals and pipes. */
function unwrap(schema: z.ZodType, value: unknown): Def {
  let def = defOf(schema);
  for (;;) {
    if ((def.type === 'optional' || def.type === 'nullable' || def.type === 'default') && def.innerType) {
      def = defOf(def.innerType);
    } else if (def.type === 'pipe' && def.in) {
      def = defOf(def.in);
    } else if (def.type === 'union' && def.options) {
      const wanted = Array.isArray(value) ? ['array'] : ['object', 'record'];
      const option = def.options.find((o) => wanted.includes(unwrap(o, value).type));
      if (option === undefined) return def;
      def = unwrap(option, value);
    } else {
      return def;
    }
  }
}

/**
 * `nix eval --json` prints an unset option as `null`: drop those, but only at keys the schema
 * knows, so a misspelled key is still refused (with its near match) even when its value is null.
 * Returns a new value; the input (possibly shared through the load cache) is never mutated.
 */
export function withoutNulls(value: unknown, schema: z.ZodType): unknown {
  const def = unwrap(schema, value);
  if (Array.isArray(value)) {
    return def.type === 'array' && def.element
      ? value.map((item) => withoutNulls(item, def.element!))
      : value;
  }
  if (!isPlainObject(value)) return value;
  if (def.type === 'record' && def.valueType) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutNulls(v, def.valueType!)]));
  }
  if (def.type !== 'object' || !def.shape) return value;
  const entries: [string, unknown][] = [];
  for (const [key, item] of Object.entries(value)) {
    const field = Object.hasOwn(def.shape, key) ? def.shape[key] : undefined;
    if (field === undefined) entries.push([key, item]);
    else if (item !== null) entries.push([key, withoutNulls(item, field)]);
  }
  // fromEntries defines own properties: a key "__proto__" stays a key
  return Object.fromEntries(entries);
}
