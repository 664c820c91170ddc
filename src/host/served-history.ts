import { z } from 'zod';
import { writeJsonAtomic } from './atomic.js';
import { readStateFile, type StateFile, versioned } from './json-file.js';
import { withShortLock } from './lock.js';

/** One observation of a served repository's size, kept to tell growth and shrinks between observations. */
export const ServedSample = z.object({
  at: z.string(),
  bytes: z.number().nonnegative(),
  transaction: z.number().int().nonnegative().optional(),
});
export type ServedSample = z.infer<typeof ServedSample>;

export const ServedRecord = z.object({
  /** The newest distinct observation, since `at`. */
  current: ServedSample,
  /** The observation before the last change (size or transaction), when there was one. */
  previous: ServedSample.optional(),
});
export type ServedRecord = z.infer<typeof ServedRecord>;

/** `<state-dir>/served.json`: per served repository path, its last two distinct observations. */
export const ServedHistory = versioned({
  repositories: z.record(z.string(), ServedRecord),
});
export type ServedHistory = z.infer<typeof ServedHistory>;

const historyFile: StateFile<ServedHistory> = { what: 'served-repository history', schema: ServedHistory };

export async function readServedHistory(path: string): Promise<ServedHistory> {
  return (await readStateFile(path, historyFile)) ?? { version: 1, repositories: {} };
}

/**
 * The record after observing `sample`: unchanged (the same object) while the repository keeps its
 * size and transaction, so `current.at` says since when; on a change `previous` moves.
 */
export function nextRecord(record: ServedRecord | undefined, sample: ServedSample): ServedRecord {
  if (record === undefined) return { current: sample };
  const changed = record.current.bytes !== sample.bytes || record.current.transaction !== sample.transaction;
  return changed ? { current: sample, previous: record.current } : record;
}

async function writeServedHistory(path: string, history: ServedHistory): Promise<void> {
  await writeJsonAtomic(path, history);
}

/**
 * Records observations (per served repository path) in `served.json`. `status` and the agent's
 * /metrics both observe and write it: each re-reads the file under its lock and moves only the
 * records its own samples change, so neither writes the other's update away. A sample older
 * than the recorded one (another process observed later and wrote first) is left out: records
 * never go back in time. Returns whether the file changed.
 */
export async function recordServedSamples(
  path: string,
  samples: ReadonlyMap<string, ServedSample>,
): Promise<boolean> {
  if (samples.size === 0) return false;
  return withShortLock(`${path}.lock`, 'served history update', async () => {
    const history = await readServedHistory(path);
    let changed = false;
    for (const [repository, sample] of samples) {
      const known = history.repositories[repository];
      if (known !== undefined && Date.parse(known.current.at) > Date.parse(sample.at)) continue;
      const record = nextRecord(known, sample);
      if (record === known) continue;
      history.repositories[repository] = record;
      changed = true;
    }
    if (changed) await writeServedHistory(path, history);
    return changed;
  });
}
