import { writeJsonAtomic } from './atomic.js';
import { readJsonFile } from './json-file.js';

/** The record of backup runs per destination (written by `backups create`, read by plan, status, watch). */
export interface DestinationRun {
  lastAttempt?: string;
  lastSuccess?: string;
  archive?: string;
  durationSeconds?: number;
  /** Set when the last attempt failed; cleared by a success. */
  error?: string;
  /** The failure class when borg said why (e.g. `missing`: the repository is gone, plan re-observes it). */
  failure?: string;
  archives?: number;
  warnings?: string[];
}

export interface Runs {
  version: 1;
  destinations: Record<string, DestinationRun>;
}

export async function readRuns(path: string): Promise<Runs> {
  const runs = await readJsonFile<Runs>(path, { version: 1, destinations: {} });
  return { version: 1, destinations: runs.destinations ?? {} };
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
