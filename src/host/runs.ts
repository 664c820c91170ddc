import { z } from 'zod';
import { redactDeep } from '../log.js';
import { writeJsonAtomic } from './atomic.js';
import { readStateFile, type StateFile, versioned } from './json-file.js';
import { withShortLock } from './lock.js';

/** The record of one kind of verification of a destination (`borgops check`, `borgops drill`). */
export const VerificationRecord = z.object({
  lastAttempt: z.string(),
  lastSuccess: z.string().optional(),
  /** Whether the last attempt passed. */
  ok: z.boolean(),
  durationSeconds: z.number(),
  /** The archive a drill restored. */
  archive: z.string().optional(),
  /** Regular files and their bytes a drill verified (size and sha256) in the last attempt. */
  files: z.number().optional(),
  bytes: z.number().optional(),
  /** A check that read every chunk (`--verify-data`). */
  verifyData: z.boolean().optional(),
  /** When a `--verify-data` check last passed. */
  lastVerifyDataSuccess: z.string().optional(),
  /** Why the last attempt failed: a class (`corrupt`, `stale`, `mismatch`, `verify-script`, `space`, borg's …) and a message. */
  failure: z.string().optional(),
  error: z.string().optional(),
});
export type VerificationRecord = z.infer<typeof VerificationRecord>;

/**
 * This machine's complete archives in a destination as borgops last knew them: its last
 * `borg list`, plus the archives it created and minus those it deleted since. `backups create`
 * decides retention on it without asking borg when that deletes nothing, or when the repository
 * is verifiably in the state borgops's own last write left it in (`fingerprint`); otherwise
 * (and after a failed run, or when `listedAt` is a day old) borg lists.
 */
export const KnownArchives = z.object({
  /** When borg last listed the destination. */
  listedAt: z.string(),
  archives: z.array(z.object({ name: z.string(), start: z.string(), epochMicros: z.number().optional() })),
  /**
   * The repository's state right after borgops's last write (`repositoryFingerprint`: local
   * repositories only). When it is still the same before the next create, nobody changed the
   * repository since, and the record may decide deletions too.
   */
  fingerprint: z.string().optional(),
});
export type KnownArchives = z.infer<typeof KnownArchives>;

/** The record of backup runs per destination (written by `backups create`, read by plan, status, watch). */
export const DestinationRun = z.object({
  lastAttempt: z.string().optional(),
  lastSuccess: z.string().optional(),
  archive: z.string().optional(),
  durationSeconds: z.number().optional(),
  /** Set when the last attempt failed; cleared by a success. */
  error: z.string().optional(),
  /** The failure class when borg said why (e.g. `missing`: the repository is gone, plan re-observes it). */
  failure: z.string().optional(),
  archives: z.number().optional(),
  known: KnownArchives.optional(),
  warnings: z.array(z.string()).optional(),
  /** The last `borgops check` of this destination. */
  check: VerificationRecord.optional(),
  /** The last `borgops drill` of this destination. */
  drill: VerificationRecord.optional(),
});
export type DestinationRun = z.infer<typeof DestinationRun>;

export const Runs = versioned({
  destinations: z.record(z.string(), DestinationRun).default({}),
});
export type Runs = z.infer<typeof Runs>;

const runsFile: StateFile<Runs> = { what: 'run record', schema: Runs };

export async function readRuns(path: string): Promise<Runs> {
  return (await readStateFile(path, runsFile)) ?? { version: 1, destinations: {} };
}

export async function writeRuns(path: string, runs: Runs): Promise<void> {
  // served unauthenticated (GET /status) and read by people: a declared secret text never lands here
  await writeJsonAtomic(path, redactDeep(runs));
}

/**
 * Replaces one destination's record, keeping the others. Several processes write the file
 * (`backups create`, apply's prune, check, drill), so the read, `update` and write happen under
 * a short lock: an update written over another's read would lose it, and a backup's fingerprint
 * could then vouch for archives apply's prune had deleted meanwhile.
 */
export async function updateRun(
  path: string,
  destination: string,
  update: (previous: DestinationRun | undefined) => DestinationRun,
): Promise<DestinationRun> {
  return withShortLock(`${path}.lock`, 'run record update', async () => {
    const runs = await readRuns(path);
    const next = update(runs.destinations[destination]);
    runs.destinations[destination] = next;
    await writeRuns(path, runs);
    return next;
  });
}
