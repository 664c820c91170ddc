import { z } from 'zod';
import { BorgopsError } from '../errors.js';
import { redactDeep } from '../log.js';
import { writeJsonAtomic } from './atomic.js';
import { readStateFile, type StateFile, versioned } from './json-file.js';
import { withShortLock } from './lock.js';

export const AttemptResult = z.enum(['applied', 'partial', 'failed', 'refused', 'invalid', 'unverified']);
export type AttemptResult = z.infer<typeof AttemptResult>;

export const ReconcileAttempt = z.object({
  at: z.string(),
  commit: z.string().optional(),
  result: AttemptResult,
  /** Why a failed attempt failed when it never reached apply: `FetchFailed`, `LoadFailed`. */
  reason: z.string().optional(),
  actions: z.number(),
  errors: z.array(z.string()),
  /**
   * What the plan of the last attempt that planned warned about (a passphrase or key only on this
   * machine, a committed key that cannot restore, a public key a server will refuse): kept so
   * `status`, /status and /metrics show it between applies, not only the terminal or journal of
   * the apply that said it. An attempt that never planned (a refused or unfetchable commit)
   * keeps the warnings before it: the applied declarations they are about are still in force.
   */
  warnings: z.array(z.string()).optional(),
  durationMs: z.number(),
});
export type ReconcileAttempt = z.infer<typeof ReconcileAttempt>;

/** What the last reconcile did, kept in the state directory for `status` and the watch agent. */
export const MachineStatus = versioned({
  machine: z.string().optional(),
  appliedCommit: z.string().optional(),
  appliedAt: z.string().optional(),
  lastAttempt: ReconcileAttempt.optional(),
  /** The newest commit that could not be applied (invalid, unverified, refused); cleared when a newer one applies. */
  failedCommit: z.object({ commit: z.string(), reason: z.string(), message: z.string() }).optional(),
});
export type MachineStatus = z.infer<typeof MachineStatus>;

const statusFile: StateFile<MachineStatus> = { what: 'status file', schema: MachineStatus };

export async function readStatus(path: string): Promise<MachineStatus> {
  return (await readStateFile(path, statusFile)) ?? { version: 1 };
}

/**
 * The status to update: status.json is derived (every apply and reconcile writes it again), so
 * one that is not JSON or not of its shape starts over instead of failing every later write, and
 * with it /status and /metrics, for good. A read error (permissions, EISDIR) is still an error.
 */
export async function readStatusForUpdate(path: string): Promise<MachineStatus> {
  try {
    return await readStatus(path);
  } catch (error: unknown) {
    const unparseable =
      error instanceof BorgopsError &&
      (error.cause instanceof SyntaxError || error.cause instanceof z.ZodError);
    if (!unparseable) throw error;
  }
  return { version: 1 };
}

/**
 * The one writer of status.json: a read-modify-write under the file's own brief lock, so the
 * watch agent's records (a refused commit) and an apply's (under the apply lock) never lose
 * each other's fields.
 */
async function updateStatus(
  path: string,
  change: (status: MachineStatus) => MachineStatus | undefined,
): Promise<void> {
  await withShortLock(`${path}.lock`, 'status update', async () => {
    const next = change(await readStatusForUpdate(path));
    // served unauthenticated (GET /status) and read by people: a declared secret text never lands here
    if (next !== undefined) await writeJsonAtomic(path, redactDeep(next));
  });
}

export interface AttemptRecord {
  machine: string;
  result: AttemptResult;
  commit?: string;
  actions: number;
  errors: string[];
  /** The plan's warnings; undefined when the attempt never planned (the earlier ones are kept). */
  warnings?: readonly string[];
  durationMs: number;
  at: Date;
}

/** The plan warnings a new attempt carries: its own when it planned, else those on record. */
function warningsOf(status: MachineStatus, planned?: readonly string[]): { warnings?: string[] } {
  const warnings = planned ?? status.lastAttempt?.warnings ?? [];
  return warnings.length === 0 ? {} : { warnings: [...warnings] };
}

/** Records an apply's attempt; an applied (or partly applied) commit becomes the applied one. */
export async function recordAttempt(path: string, attempt: AttemptRecord): Promise<void> {
  const at = attempt.at.toISOString();
  const { commit, result, actions, errors, durationMs } = attempt;
  const applied = result === 'applied' || result === 'partial';
  await updateStatus(path, (status) => ({
    ...status,
    machine: attempt.machine,
    ...(applied && commit !== undefined ? { appliedCommit: commit, appliedAt: at } : {}),
    lastAttempt: {
      at,
      ...(commit === undefined ? {} : { commit }),
      result,
      actions,
      errors,
      ...warningsOf(status, attempt.warnings),
      durationMs,
    },
  }));
}

export interface FailedCommit {
  commit: string;
  /** `InvalidDeclarations`, `UnverifiedCommit`, `RefusedByGuard`. */
  reason: string;
  message: string;
  result: 'invalid' | 'unverified' | 'refused';
  durationMs: number;
  at: Date;
}

/**
 * Records a commit the agent would not apply (the applied declarations stay in force); true when
 * it was not the failed commit on record already (drift and retries see the same one again).
 */
export async function recordFailedCommit(path: string, failed: FailedCommit): Promise<boolean> {
  const { commit, reason, message, result, durationMs } = failed;
  let fresh = false;
  await updateStatus(path, (status) => {
    fresh = status.failedCommit?.commit !== commit;
    return {
      ...status,
      failedCommit: { commit, reason, message },
      lastAttempt: {
        at: failed.at.toISOString(),
        commit,
        result,
        actions: 0,
        errors: [message],
        ...warningsOf(status),
        durationMs,
      },
    };
  });
  return fresh;
}

/** Forgets the failed commit once `commit` (a newer one) applied; true when one was on record (back to Ready). */
export async function clearFailedCommit(path: string, commit: string): Promise<boolean> {
  let cleared = false;
  await updateStatus(path, (status) => {
    if (status.failedCommit === undefined) return undefined;
    cleared = true;
    const { failedCommit: _dropped, ...rest } = status;
    return { ...rest, appliedCommit: commit };
  });
  return cleared;
}

/** A reconcile of the agent that failed before apply (fetch, git read, load): Stalled until one succeeds. */
export async function recordEarlyFailure(
  path: string,
  failure: {
    commit?: string;
    reason: 'FetchFailed' | 'LoadFailed';
    error: string;
    durationMs: number;
    at: Date;
  },
): Promise<void> {
  const { commit, reason, error, durationMs } = failure;
  await updateStatus(path, (status) => ({
    ...status,
    lastAttempt: {
      at: failure.at.toISOString(),
      ...(commit === undefined ? {} : { commit }),
      result: 'failed',
      reason,
      actions: 0,
      errors: [error],
      ...warningsOf(status),
      durationMs,
    },
  }));
}
