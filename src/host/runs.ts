import { z } from 'zod';
import { writeJsonAtomic } from './atomic.js';
import { readStateFile, type StateFile, versioned } from './json-file.js';

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
  warnings: z.array(z.string()).optional(),
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
  await writeJsonAtomic(path, runs);
}

/** Replaces one destination's record, keeping the others (one backup run at a time holds the backups lock). */
export async function updateRun(
  path: string,
  destination: string,
  update: (previous: DestinationRun | undefined) => DestinationRun,
): Promise<DestinationRun> {
  const runs = await readRuns(path);
  const next = update(runs.destinations[destination]);
  runs.destinations[destination] = next;
  await writeRuns(path, runs);
  return next;
}
