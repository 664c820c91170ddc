import { z } from 'zod';
import { BorgopsError } from '../errors.js';
import { writeJsonAtomic } from './atomic.js';
import { readJsonFile } from './json-file.js';

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
export const ServedHistory = z.object({
  version: z.literal(1),
  repositories: z.record(z.string(), ServedRecord),
});
export type ServedHistory = z.infer<typeof ServedHistory>;

export async function readServedHistory(path: string): Promise<ServedHistory> {
  const raw = await readJsonFile<unknown>(path, { version: 1, repositories: {} });
  const parsed = ServedHistory.safeParse(raw);
  if (!parsed.success) {
    throw new BorgopsError(
      'E_HOST',
      `${path} is not a borgops served-repository history (version 1); move it away`,
    );
  }
  return parsed.data;
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
