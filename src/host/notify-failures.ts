import { z } from 'zod';
import { writeJsonAtomic } from './atomic.js';
import { readStateFile, type StateFile, versioned } from './json-file.js';
import { withShortLock } from './lock.js';

/**
 * Notifications receivers did not take, per receiver name, since the state directory was made:
 * written by `backups create` and the agent, exposed as `borgops_notify_failures_total`. Names
 * and counts only, never a URL.
 */
export const NotifyFailures = versioned({
  failures: z
    .record(
      z.string(),
      z.object({ count: z.number(), lastAt: z.string(), lastEvent: z.string(), lastError: z.string() }),
    )
    .default({}),
});
export type NotifyFailures = z.infer<typeof NotifyFailures>;

const notifyFailuresFile: StateFile<NotifyFailures> = {
  what: 'notification failure count',
  schema: NotifyFailures,
};

export async function readNotifyFailures(path: string): Promise<NotifyFailures> {
  return (await readStateFile(path, notifyFailuresFile)) ?? { version: 1, failures: {} };
}

/**
 * Counts one failure. A backup job, the agent and a check may count at once: one
 * read-modify-write at a time, under a short lock next to the file.
 */
export async function countNotifyFailure(
  path: string,
  failure: { receiver: string; event: string; error: string },
  at: Date = new Date(),
): Promise<void> {
  await withShortLock(`${path}.lock`, 'notify failure count', () => count(path, failure, at));
}

async function count(
  path: string,
  failure: { receiver: string; event: string; error: string },
  at: Date,
): Promise<void> {
  const file = await readNotifyFailures(path);
  const previous = file.failures[failure.receiver]?.count ?? 0;
  file.failures[failure.receiver] = {
    count: previous + 1,
    lastAt: at.toISOString(),
    lastEvent: failure.event,
    lastError: failure.error,
  };
  await writeJsonAtomic(path, file);
}
