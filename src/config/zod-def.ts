import type { z } from 'zod';

/** The parts of a zod 4 schema's definition that the config walkers read. */
export interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  valueType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  in?: z.ZodType;
  /** Refinements and checks (min, refine, …), when the schema has any. */
  checks?: unknown[];
}

export function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** The definition under optional, nullable, default and pipe (its input side). */
export function innerDef(schema: z.ZodType): Def {
  let def = defOf(schema);
  for (;;) {
    if ((def.type === 'optional' || def.type === 'nullable' || def.type === 'default') && def.innerType) {
      def = defOf(def.innerType);
    } else if (def.type === 'pipe' && def.in) {
      def = defOf(def.in);
    } else {
      return def;
    }
  }
}
