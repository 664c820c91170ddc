import type { ParsedFile } from './document.js';
import { dottedPath, type Problem } from './problem.js';

// Names every plain JavaScript object already answers to: a state, machine or destination called
// `constructor` would read as present where it is not, and `__proto__` would vanish in parsing.
const RESERVED: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

/**
 * Every key of the file that is a built-in property name of JavaScript objects, at its line. The
 * walk keeps one path and copies it only for a finding: a 10,000-machine fleet has millions of keys.
 * (parseFile has refused anything nested deep enough to exhaust the stack.)
 */
export function reservedKeys(parsed: ParsedFile): Problem[] {
  const problems: Problem[] = [];
  const path: PropertyKey[] = [];
  const walk = (value: unknown): void => {
    if (typeof value !== 'object' || value === null) return;
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index++) {
        const item: unknown = value[index];
        if (typeof item !== 'object' || item === null) continue;
        path.push(index);
        walk(item);
        path.pop();
      }
      return;
    }
    for (const key of Object.keys(value)) {
      if (RESERVED.has(key)) {
        const at = [...path, key];
        problems.push({
          file: parsed.file,
          line: parsed.lineOf(at, 'key'),
          path: dottedPath(at),
          message: `"${key}" is a reserved name (a built-in property of JavaScript objects); choose another name`,
          severity: 'error',
        });
        continue;
      }
      const item = (value as Record<string, unknown>)[key];
      if (typeof item !== 'object' || item === null) continue;
      path.push(key);
      walk(item);
      path.pop();
    }
  };
  walk(parsed.value);
  return problems;
}
