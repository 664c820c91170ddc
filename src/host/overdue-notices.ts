import { z } from 'zod';
import { writeJsonAtomic } from './atomic.js';
import { readStateFile, type StateFile, versioned } from './json-file.js';
import { withShortLock } from './lock.js';

/**
 * `<state-dir>/overdue-notices.json`: per `<destination>/<check|drill>`, the overdue spell whose
 * notification went out, named by when its clock started (the last success, or the first apply
 * when there was none). A spell is told once; a success starts a new clock, so a later spell is
 * told again.
 */
export const OverdueNotices = versioned({
  sent: z.record(z.string(), z.object({ since: z.string(), at: z.string() })).default({}),
});
export type OverdueNotices = z.infer<typeof OverdueNotices>;

const overdueNoticesFile: StateFile<OverdueNotices> = {
  what: 'overdue verification notices',
  schema: OverdueNotices,
};

export async function readOverdueNotices(path: string): Promise<OverdueNotices> {
  return (await readStateFile(path, overdueNoticesFile)) ?? { version: 1, sent: {} };
}

/** One thing that can be overdue (`<destination>/<check|drill|backup>`): overdue since `since`, or not. */
export interface OverdueObservation {
  key: string;
  /** When the overdue clock started; absent when it is not overdue. */
  since?: string;
}

/**
 * Marks the overdue spells not told yet as told and returns their observations; forgets the
 * spells that ended (not overdue any more). Under a short lock: the backup jobs of two schedules
 * and the agent may look at once, and only one of them may tell a spell.
 */
export async function claimOverdueNotices<T extends OverdueObservation>(
  path: string,
  observations: readonly T[],
  at: Date,
): Promise<T[]> {
  if (observations.length === 0) return [];
  return withShortLock(`${path}.lock`, 'overdue notice update', async () => {
    const file = await readOverdueNotices(path);
    const claimed: T[] = [];
    let changed = false;
    for (const observation of observations) {
      const { key, since } = observation;
      const told = file.sent[key];
      if (since === undefined) {
        if (told !== undefined) {
          delete file.sent[key];
          changed = true;
        }
      } else if (told?.since !== since) {
        file.sent[key] = { since, at: at.toISOString() };
        claimed.push(observation);
        changed = true;
      }
    }
    if (changed) await writeJsonAtomic(path, file);
    return claimed;
  });
}
