import { BorgopsError } from '../errors.js';
import { redactDeep } from '../log.js';
import { writeJsonAtomic } from './atomic.js';
import { readJsonFile } from './json-file.js';

export type AttemptResult = 'applied' | 'partial' | 'failed' | 'refused' | 'invalid' | 'unverified';

export interface ReconcileAttempt {
  at: string;
  commit?: string;
  result: AttemptResult;
  /** Why a failed attempt failed when it never reached apply: `FetchFailed`, `LoadFailed`. */
  reason?: string;
  actions: number;
  errors: string[];
  durationMs: number;
}

/** What the last reconcile did, kept in the state directory for `status` and the watch agent. */
export interface MachineStatus {
  version: 1;
  machine?: string;
  appliedCommit?: string;
  appliedAt?: string;
  lastAttempt?: ReconcileAttempt;
  /** The newest commit that could not be applied (invalid, unverified, refused); cleared when a newer one applies. */
  failedCommit?: { commit: string; reason: string; message: string };
}

export async function readStatus(path: string): Promise<MachineStatus> {
  return readJsonFile<MachineStatus>(path, { version: 1 });
}

/**
 * The status to update: status.json is derived (every apply and reconcile writes it again), so
 * one that is not a JSON object starts over instead of failing every later write, and with it
 * /status and /metrics, for good.
 */
export async function readStatusForUpdate(path: string): Promise<MachineStatus> {
  try {
    const status = await readStatus(path);
    if (typeof status === 'object' && status !== null && !Array.isArray(status)) return status;
  } catch (error: unknown) {
    // unreadable (permissions, I/O) is still an error; only unparseable content is started over
    if (!(error instanceof BorgopsError && error.cause instanceof SyntaxError)) throw error;
  }
  return { version: 1 };
}

export async function writeStatus(path: string, status: MachineStatus): Promise<void> {
  // served unauthenticated (GET /status) and read by people: a declared secret text never lands here
  await writeJsonAtomic(path, redactDeep(status));
}
