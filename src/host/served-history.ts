import { z } from 'zod';
import { writeJsonAtomic } from './atomic.js';
import { readStateFile, type StateFile, versioned } from './json-file.js';

/** One observation of a served repository's size, kept to tell growth and shrinks between observations. */
export const ServedSample = z.object({
  at: z.string(),
  bytes: z.number().nonnegative(),
  transaction: z.number().int().nonnegative().optional(),
});
export type ServedSample = z.infer<typeof ServedSample>;

export const ServedRecord = z.object({
  /** The newest observation. */
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

/** The record after observing `sample`: `previous` moves only when the repository changed. */
export function nextRecord(record: ServedRecord | undefined, sample: ServedSample): ServedRecord {
  if (record === undefined) return { current: sample };
  const changed = record.current.bytes !== sample.bytes || record.current.transaction !== sample.transaction;
  if (changed) return { current: sample, previous: record.current };
  return { current: sample, ...(record.previous === undefined ? {} : { previous: record.previous }) };
}

export async function writeServedHistory(path: string, history: ServedHistory): Promise<void> {
  await writeJsonAtomic(path, history);
}
