import { z } from 'zod';
import { writeJsonAtomic } from './atomic.js';
import { readStateFile, type StateFile, versioned } from './json-file.js';

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

/** Counts one failure; the read-modify-write races only with another process's count, never a backup. */
export async function countNotifyFailure(
  path: string,
  failure: { receiver: string; event: string; error: string },
  at: Date = new Date(),
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
