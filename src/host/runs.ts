import { redactDeep } from '../log.js';
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
  /** The last `borgops check` of this destination. */
  check?: VerificationRecord;
  /** The last `borgops drill` of this destination. */
  drill?: VerificationRecord;
}

/** The record of one kind of verification of a destination (`borgops check`, `borgops drill`). */
export interface VerificationRecord {
  lastAttempt: string;
  lastSuccess?: string;
  /** Whether the last attempt passed. */
  ok: boolean;
  durationSeconds: number;
  /** The archive a drill restored. */
  archive?: string;
  /** Regular files and their bytes a drill verified (size and sha256) in the last attempt. */
  files?: number;
  bytes?: number;
  /** A check that read every chunk (`--verify-data`). */
  verifyData?: boolean;
  /** When a `--verify-data` check last passed. */
  lastVerifyDataSuccess?: string;
  /** Why the last attempt failed: a class (`corrupt`, `stale`, `mismatch`, `verify-script`, `space`, borg's …) and a message. */
  failure?: string;
  error?: string;
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
  // served unauthenticated (GET /status) and read by people: a declared secret text never lands here
  await writeJsonAtomic(path, redactDeep(runs));
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
