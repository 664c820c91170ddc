import { loadDeclarations } from '../../src/config/load.js';
import type { Declarations } from '../../src/config/model.js';
import { formatProblem } from '../../src/config/problem.js';

/** Valid declarations from in-memory files (unit tests of pure code); throws with every problem otherwise. */
export function declarationsOf(files: Record<string, unknown>): Declarations {
  const map = new Map(
    Object.entries(files).map(([path, value]) => [
      path,
      typeof value === 'string' ? value : JSON.stringify(value, null, 2),
    ]),
  );
  const result = loadDeclarations(map, '0123456789abcdef0123456789abcdef01234567');
  if (!result.declarations) throw new Error(result.problems.map(formatProblem).join('\n'));
  return result.declarations;
}
