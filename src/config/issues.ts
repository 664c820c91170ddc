import type { z } from 'zod';
import { article, plural } from '../util/words.js';
import type { ParsedFile } from './document.js';
import { dottedPath, type Problem } from './problem.js';
import { nearest } from './suggest.js';
import { defOf, innerDef } from './zod-def.js';

/** The object schema reached by `path` (through optionals, records, arrays and unions), if any. */
function objectShapeAt(
  schema: z.ZodType,
  path: readonly PropertyKey[],
): Record<string, z.ZodType> | undefined {
  let current: z.ZodType | undefined = schema;
  let index = 0;
  while (current) {
    const def = innerDef(current);
    if (def.type === 'union') {
      // an object's keys, else a record's values (clan's role tags: a list or tag → {settings})
      current =
        def.options?.find((option) => defOf(option).type === 'object') ??
        def.options?.find((option) => defOf(option).type === 'record');
      continue;
    }
    if (index === path.length) return def.type === 'object' ? def.shape : undefined;
    const segment = path[index++];
    if (def.type === 'object') current = def.shape?.[String(segment)];
    else if (def.type === 'record') current = def.valueType;
    else if (def.type === 'array') current = def.element;
    else return undefined;
  }
  return undefined;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

function describeType(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'a number' : 'a fractional number';
  return article(typeof value);
}

const expectedWords: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  record: 'an object',
};

function messageOf(issue: z.core.$ZodIssue, value: unknown): string {
  switch (issue.code) {
    case 'invalid_type': {
      const expected = expectedWords[issue.expected] ?? issue.expected;
      if (value === undefined) return `is required (${expected})`;
      return `must be ${expected}, not ${describeType(value)}`;
    }
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}; got ${JSON.stringify(value)}`;
    case 'too_small':
      if (issue.origin === 'array') return `must have at least ${plural(Number(issue.minimum), 'item')}`;
      if (issue.origin === 'string') return 'must not be empty';
      return `must be at least ${issue.minimum}; got ${JSON.stringify(value)}`;
    case 'too_big':
      return `must be at most ${issue.maximum}; got ${JSON.stringify(value)}`;
    case 'invalid_union': {
      const expected = issue.errors
        .flat()
        .filter((inner) => inner.code === 'invalid_type')
        .map((inner) => expectedWords[(inner as { expected: string }).expected] ?? 'another form');
      return expected.length > 0
        ? `must be ${[...new Set(expected)].join(' or ')}, not ${describeType(value)}`
        : issue.message;
    }
    default:
      return issue.message;
  }
}

/** Turns zod issues into located problems, one per unknown key, with near-match suggestions. */
export function problemsFromIssues(
  parsed: ParsedFile,
  schema: z.ZodType,
  issues: readonly z.core.$ZodIssue[],
): Problem[] {
  const problems: Problem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const accepted = Object.keys(objectShapeAt(schema, issue.path) ?? {});
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        const suggestion = nearest(key, accepted);
        const hint = suggestion ? `; did you mean "${suggestion}"?` : '';
        problems.push({
          file: parsed.file,
          line: parsed.lineOf(path, 'key'),
          path: dottedPath(path),
          message: `unknown key "${key}"${hint} (accepted: ${accepted.join(', ')})`,
          severity: 'error',
        });
      }
      continue;
    }
    const value = valueAt(parsed.value, issue.path);
    problems.push({
      file: parsed.file,
      line: parsed.lineOf(issue.path, 'value'),
      path: dottedPath(issue.path),
      message: messageOf(issue, value),
      severity: 'error',
    });
  }
  return problems;
}
