import { z } from 'zod';
import { BorgopsError } from '../../src/errors.js';
import { writeJsonAtomic } from '../../src/host/atomic.js';
import { errnoCode, hostFsError } from '../../src/host/fs-error.js';
import { parseStateFile, readTextIfExists, type StateFile, versioned } from '../../src/host/json-file.js';
import { canonicalJson } from '../../src/util/hash.js';
import { plural } from '../../src/util/words.js';
import type { Plan } from './model.js';

/*
 * A saved plan (`plan --out FILE`) is an approval, not a program: `apply --plan` recomputes the
 * plan and runs the recomputed actions, and only when they equal the saved ones. Refusals,
 * errors and guards always come from the recomputation, never from the file.
 */

// an action is only compared with a recomputed one, never run: its fields beyond these are kept
// as written (loose), so the comparison sees every edit
const SavedAction = z.looseObject({
  id: z.string(),
  op: z.string(),
  kind: z.string(),
  effect: z.enum(['additive', 'mutating', 'destructive']),
  summary: z.string(),
});

export const SavedPlan = versioned({
  machine: z.string(),
  commit: z.string().optional(),
  worktree: z.boolean(),
  createdAt: z.string(),
  fingerprint: z.string(),
  refresh: z.boolean(),
  scheduler: z.string(),
  actions: z.array(SavedAction),
  notes: z.array(z.string()),
  warnings: z.array(z.string()),
  errors: z.array(z.object({ id: z.string(), destination: z.string().optional(), message: z.string() })),
  refusals: z.array(z.object({ guard: z.string(), id: z.string(), message: z.string() })),
  summary: z.object({ add: z.number(), change: z.number(), destroy: z.number(), archives: z.number() }),
  borgProcesses: z.number(),
});
export type SavedPlan = z.infer<typeof SavedPlan>;

const planFile: StateFile<SavedPlan> = {
  what: 'plan',
  schema: SavedPlan,
  remedy: 'make a new one with `borgops plan --out FILE`',
};

/** `plan --out FILE`; an unwritable FILE is one line naming it and the errno. */
export async function writeSavedPlan(path: string, plan: Plan): Promise<void> {
  try {
    await writeJsonAtomic(path, plan);
  } catch (error: unknown) {
    // the atomic writer's own error names the file; this one says it is the plan, with the errno's meaning
    const cause = error instanceof BorgopsError && errnoCode(error.cause) !== undefined ? error.cause : error;
    throw hostFsError('write the plan to', path, cause);
  }
}

/** A bad --plan argument is a usage error, whatever the file system said. */
function usageError(error: unknown): unknown {
  if (!(error instanceof BorgopsError)) return error;
  return new BorgopsError('E_USAGE', error.shortMessage, { cause: error, details: error.details });
}

/** The plan `apply --plan FILE` checks; a missing, unreadable, truncated or wrong-shaped FILE is E_USAGE. */
export async function readSavedPlan(path: string): Promise<SavedPlan> {
  let text: string | undefined;
  try {
    text = await readTextIfExists(path);
  } catch (error: unknown) {
    throw usageError(error);
  }
  if (text === undefined) {
    throw new BorgopsError('E_USAGE', `cannot read the plan ${path}: no such file or directory (ENOENT)`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error: unknown) {
    // a truncated or hand-edited file
    throw new BorgopsError('E_USAGE', `cannot read the plan ${path}`, { cause: error });
  }
  try {
    return parseStateFile(path, planFile, value);
  } catch (error: unknown) {
    throw usageError(error);
  }
}

/** Refuses (E_GUARD, exit 3) unless the saved plan was made from the same inputs and lists the same actions. */
export function checkSavedPlan(saved: SavedPlan, recomputed: Plan): void {
  if (saved.fingerprint !== recomputed.fingerprint) {
    throw new BorgopsError(
      'E_GUARD',
      'the saved plan is stale: the declarations or the machine changed since it was made; make a new plan',
      {
        details: [
          `saved fingerprint ${saved.fingerprint.slice(0, 16)}, now ${recomputed.fingerprint.slice(0, 16)}`,
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
