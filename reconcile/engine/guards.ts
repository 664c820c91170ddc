import { BorgopsError } from '../../src/errors.js';
import { plural } from '../../src/util/words.js';
import type { GuardName, Plan, Refusal } from './model.js';

/**
 * The safety guards, as pure rules shared by `plan` (against the machine) and `preview` (against
 * the base commit), so a preview refuses exactly what an apply would.
 */

/** A prune of `pruned` of a destination's `total` own archives: all of them, or more than half, needs consent. */
export function pruneRefusal(
  destination: string,
  id: string,
  pruned: number,
  total: number,
): Refusal | undefined {
  if (pruned === 0) return undefined;
  if (pruned >= total) {
    return {
      guard: 'prune-all',
      id,
      message: `${destination}: retention would prune every archive (${total}); --allow-prune-all permits it`,
    };
  }
  if (pruned * 2 > total) {
    return {
      guard: 'large-prune',
      id,
      message: `${destination}: retention would prune ${pruned} of ${total} archives, more than half; --allow-large-prune permits it`,
    };
  }
  return undefined;
}

/** Argo CD's "never prune an application to nothing": removing all of a machine's backups needs consent. */
export function removeAllRefusal(
  machine: string,
  had: { schedules: boolean; hooks: boolean },
  desired: { destinations: number; states: number },
): Refusal | undefined {
  if (had.schedules && desired.destinations === 0) {
    return {
      guard: 'remove-all',
      id: 'machine',
      message: `${machine}: the declarations remove every backup destination (or every state) of this machine; --allow-remove-all permits it`,
    };
  }
  if (had.hooks && desired.states === 0) {
    return {
      guard: 'remove-all',
      id: 'machine',
      message: `${machine}: the declarations remove every state of this machine; --allow-remove-all permits it`,
    };
  }
  return undefined;
}

/** Refuses the whole plan when a guard the user did not allow would trip (nothing is changed). */
export function checkGuards(plan: Plan, allow: ReadonlySet<GuardName>): void {
  const refused = plan.refusals.filter((refusal) => !allow.has(refusal.guard));
  if (refused.length === 0) return;
  throw new BorgopsError(
    'E_GUARD',
    `refused by ${plural(refused.length, 'safety guard')}; nothing was changed`,
    {
      details: refused.map((refusal) => refusal.message),
    },
  );
}
