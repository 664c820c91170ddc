import type { ParsedFile } from './document.js';
import { dottedPath, type Problem } from './problem.js';

// Names every plain JavaScript object already answers to: a state, machine or destination called
// `constructor` would read as present where it is not, and `__proto__` would vanish in parsing.
const RESERVED: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

/** Every key of the file that is a built-in property name of JavaScript objects, at its line. */
export function reservedKeys(parsed: ParsedFile): Problem[] {
  const problems: Problem[] = [];
  const walk = (value: unknown, path: PropertyKey[]) => {
    if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) walk(item, [...path, index]);
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    for (const key of Object.keys(value)) {
      const at = [...path, key];
      if (RESERVED.has(key)) {
        problems.push({
          file: parsed.file,
          line: parsed.lineOf(at, 'key'),
          path: dottedPath(at),
          message: `"${key}" is a reserved name (a built-in property of JavaScript objects); choose another name`,
          severity: 'error',
        });
        continue;
      }
      walk((value as Record<string, unknown>)[key], at);
    }
  };
  walk(parsed.value, []);
  return problems;
}
