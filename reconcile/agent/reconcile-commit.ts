import { loadDeclarations } from '../../src/config/load.js';
import { formatProblem } from '../../src/config/problem.js';
import { isBorgopsError } from '../../src/errors.js';
import { fetchMirror } from '../../src/git/remote.js';
import { type GitSource, readAtCommit, resolveCommit } from '../../src/git/source.js';
import { verifyCommit } from '../../src/git/verify.js';
import { readApplied } from '../../src/host/applied.js';
import type { HostPaths } from '../../src/host/paths.js';
import { clearFailedCommit, readStatus, recordFailedCommit } from '../../src/host/status.js';
import { runApply } from '../engine/converge.js';
import type { LoadedSource } from '../engine/declarations.js';
import type { LoopResult } from './backoff.js';
import type { ReconcileOutcome, Trigger, WatchOptions } from './loop.js';
import type { AgentNotices } from './notices.js';

/** What one reconcile needs: the options, the opened source, and what the loop remembers. */
export interface ReconcileContext {
  options: WatchOptions;
  paths: HostPaths;
  source: GitSource;
  remote: boolean;
  /** Tells the receivers when a commit is refused and when the machine is back to Ready. */
  notices: AgentNotices;
  /** The commit and result of the previous reconcile (updated here). */
  memory: { lastCommit?: string; lastResult?: LoopResult };
}

type Refusal = {
  result: 'invalid' | 'unverified' | 'refused';
  reason: string;
  message: string;
  errors: string[];
};

/** The declarations of a head known to be bad: the applied ones, which stay in force. */
async function appliedInForce(
  paths: HostPaths,
): Promise<{ target?: string; loaded: LoadedSource } | undefined> {
  const applied = await readApplied(paths.applied);
  if (!applied) return undefined;
  const files = new Map(Object.entries(applied.files));
  return {
    ...(applied.commit === undefined ? {} : { target: applied.commit }),
    loaded: {
      snapshot: { ...(applied.commit ? { commit: applied.commit } : {}), worktree: false, files },
      result: loadDeclarations(files, applied.commit),
    },
  };
}

/** The commit's declarations, or why they must not be applied (its signature is not allowed). */
async function loadCommit(context: ReconcileContext, commit: string): Promise<LoadedSource | Refusal> {
  const { options, source } = context;
  if (options.verify) {
    const verification = await verifyCommit(source, commit, options.verify);
    if (!verification.ok) {
      const message = `not applied: ${verification.message}`;
      return { result: 'unverified', reason: 'UnverifiedCommit', message, errors: [verification.message] };
    }
  }
  const snapshot = await readAtCommit(source, commit);
  return { snapshot, result: loadDeclarations(snapshot.files, snapshot.commit) };
}

/** Invalid declarations are never applied: the refusal that says why. */
function invalid(loaded: LoadedSource): Refusal | undefined {
  if (loaded.result.declarations) return undefined;
  const problems = loaded.result.problems.filter((p) => p.severity === 'error').map(formatProblem);
  return {
    result: 'invalid',
    reason: 'InvalidDeclarations',
    message: `invalid declarations: ${problems.join('; ')}`,
    errors: problems,
  };
}

/** Applies loaded declarations; a guard's refusal is a refusal, any other error goes up. */
async function applyLoaded(
  context: ReconcileContext,
  target: string,
  loaded: LoadedSource,
): Promise<{ result: 'applied' | 'partial'; actions: number; errors: string[] } | Refusal> {
  try {
    const { result } = await runApply({ ...context.options, ref: target, worktree: false, loaded });
    const errors = result.errors.map((e) => e.message);
    return { result: errors.length === 0 ? 'applied' : 'partial', actions: result.done.length, errors };
  } catch (error: unknown) {
    if (!isBorgopsError(error, 'E_GUARD')) throw error;
    const message = [error.shortMessage, ...error.details].join('; ');
    return { result: 'refused', reason: 'RefusedByGuard', message, errors: [message] };
  }
}

/**
 * One step of the GitOps loop: fetch, resolve the ref, and unless nothing moved, verify, load,
 * validate and apply. A commit that must not be applied is recorded as the failed commit (the
 * applied declarations stay in force, and drift is still corrected against them).
 */
export async function reconcileCommit(context: ReconcileContext, reason: Trigger): Promise<ReconcileOutcome> {
  const { options, paths, source, memory } = context;
  const started = Date.now();
  const outcome = (
    result: LoopResult,
    commit: string,
    errors: string[] = [],
    actions = 0,
  ): ReconcileOutcome => ({
    trigger: reason,
    commit,
    result,
    actions,
    errors,
    durationMs: Date.now() - started,
  });
  const timer = reason === 'drift' || reason === 'retry';
  if (context.remote && !timer) await fetchMirror(source, options.source);
  const commit = await resolveCommit(source, options.ref);
  const status = await readStatus(paths.status);
  if (commit === memory.lastCommit && !timer && reason !== 'start' && memory.lastResult !== undefined) {
    return outcome('unchanged', commit);
  }
  memory.lastCommit = commit;

  // a known-bad head does not stop drift correction: the applied declarations stay in force
  const fallback = timer && status.failedCommit?.commit === commit;
  const inForce = fallback ? await appliedInForce(paths) : undefined;
  if (fallback && !inForce) return outcome('unchanged', commit);
  const target = inForce?.target ?? commit;
  const loaded = inForce?.loaded ?? (await loadCommit(context, commit));
  const applied =
    'snapshot' in loaded ? (invalid(loaded) ?? (await applyLoaded(context, target, loaded))) : loaded;
  if ('reason' in applied) {
    const fresh = await recordFailedCommit(paths.status, {
      commit,
      reason: applied.reason,
      message: applied.message,
      result: applied.result,
      durationMs: Date.now() - started,
      at: new Date(),
    });
    // once per refused commit: drift and retries see the same one again
    if (fresh) {
      const problems = applied.result === 'invalid' ? applied.errors : [applied.message];
      context.notices.stalled(commit, applied.reason, problems);
    }
    return outcome(applied.result, commit, applied.errors);
  }
  if (target === commit && (await clearFailedCommit(paths.status, commit)) && 'snapshot' in loaded) {
    const client = loaded.result.declarations?.clients.find((c) => c.machine === options.machine);
    context.notices.ready(commit, client?.receivers ?? []);
  }
  return { ...outcome(applied.result, target, applied.errors, applied.actions), commit: target };
}
