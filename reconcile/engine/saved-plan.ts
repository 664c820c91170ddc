import { readFile } from 'node:fs/promises';
import { BorgopsError } from '../../src/errors.js';
import { canonicalJson } from '../../src/util/hash.js';
import { plural } from '../../src/util/words.js';
import type { Plan } from './model.js';

/*
 * A saved plan (`plan --out FILE`) is an approval, not a program: `apply --plan` recomputes the
 * plan and runs the recomputed actions, and only when they equal the saved ones. Refusals,
 * errors and guards always come from the recomputation, never from the file.
 */

export async function readSavedPlan(path: string): Promise<Plan> {
  let saved: Plan;
  try {
    saved = JSON.parse(await readFile(path, 'utf8')) as Plan;
  } catch (error: unknown) {
    throw new BorgopsError('E_USAGE', `cannot read the plan ${path}`, { cause: error });
  }
  if (saved?.version !== 1 || typeof saved.fingerprint !== 'string' || !Array.isArray(saved.actions)) {
    throw new BorgopsError(
      'E_USAGE',
      `${path} is not a borgops plan (make one with \`borgops plan --out FILE\`)`,
    );
  }
  return saved;
}

/** Refuses (E_GUARD, exit 3) unless the saved plan was made from the same inputs and lists the same actions. */
export function checkSavedPlan(saved: Plan, recomputed: Plan): void {
  if (saved.fingerprint !== recomputed.fingerprint) {
    throw new BorgopsError(
      'E_GUARD',
      'the saved plan is stale: the declarations or the machine changed since it was made; make a new plan',
      {
        details: [
          `saved fingerprint ${String(saved.fingerprint).slice(0, 16)}, now ${recomputed.fingerprint.slice(0, 16)}`,
        ],
      },
    );
  }
  if (canonicalJson(saved.actions) !== canonicalJson(recomputed.actions)) {
    const savedIds = saved.actions.map((action) => String(action?.id));
    const differing = recomputed.actions
      .map((action) => action.id)
      .filter((id, index) => savedIds[index] !== id);
    const extra = savedIds.filter((id) => !recomputed.actions.some((action) => action.id === id));
    throw new BorgopsError(
      'E_GUARD',
      "the saved plan's actions differ from the recomputed plan (edited or corrupt); nothing was changed; make a new plan",
      {
        details: [
          `saved ${plural(saved.actions.length, 'action')}, recomputed ${recomputed.actions.length}`,
          ...extra.slice(0, 5).map((id) => `not in the recomputed plan: ${id}`),
          ...differing.slice(0, 5).map((id) => `differs: ${id}`),
        ],
      },
    );
  }
}
