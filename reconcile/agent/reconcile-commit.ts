import { loadDeclarations } from '../../src/config/load.js';
import { formatProblem } from '../../src/config/problem.js';
import { errorMessage, isBorgopsError } from '../../src/errors.js';
import { fetchMirror } from '../../src/git/remote.js';
import { type GitSource, readAtCommit, resolveCommit } from '../../src/git/source.js';
import { verifyCommit } from '../../src/git/verify.js';
import { readApplied } from '../../src/host/applied.js';
import type { HostPaths } from '../../src/host/paths.js';
import {
  clearFailedCommit,
  readStatusForUpdate,
  recordEarlyFailure,
  recordFailedCommit,
} from '../../src/host/status.js';
import { runApply } from '../engine/converge.js';
import { type LoadedSource, validateFiles } from '../engine/declarations.js';
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
  /**
   * The commit and result of the previous reconcile, and how far the current one got: a failure
   * before apply is recorded by the loop, apply records its own (updated here).
   */
  memory: {
    lastCommit?: string;
    lastResult?: LoopResult;
    stage?: 'fetch' | 'load' | 'apply';
    attempted?: string;
  };
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

/** The commit's files, or why they must not be applied: a link, a submodule, a file too large is as bad as an invalid file. */
async function readCommit(
  context: ReconcileContext,
  commit: string,
): Promise<Awaited<ReturnType<typeof readAtCommit>> | Refusal> {
  try {
    return await readAtCommit(context.source, commit);
  } catch (error: unknown) {
    if (!isBorgopsError(error, 'E_CONFIG')) throw error;
    const problems = [...new Set([error.shortMessage, ...error.details])];
    return {
      result: 'invalid',
      reason: 'InvalidDeclarations',
      message: `invalid declarations: ${problems.join('; ')}`,
      errors: problems,
    };
  }
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
  const snapshot = await readCommit(context, commit);
  if ('reason' in snapshot) return snapshot;
  return {
    snapshot,
    result: await validateFiles(snapshot.files, snapshot.commit, undefined, context.paths.bashSyntax),
  };
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
  memory.stage = 'fetch';
  memory.attempted = undefined;
  // a retry fetches too: the failure it retries may have been the fetch
  if (context.remote && reason !== 'drift') await fetchMirror(source, options.source);
  memory.stage = 'load';
  const commit = await resolveCommit(source, options.ref);
  memory.attempted = commit;
  const status = await readStatusForUpdate(paths.status);
  const settled =
    memory.lastResult !== undefined && memory.lastResult !== 'failed' && memory.lastResult !== 'partial';
  if (commit === memory.lastCommit && !timer && reason !== 'start' && settled) {
    return outcome('unchanged', commit);
  }
  memory.lastCommit = commit;

  // a known-bad head does not stop drift correction: the applied declarations stay in force
  const fallback = timer && status.failedCommit?.commit === commit;
  const inForce = fallback ? await appliedInForce(paths) : undefined;
  if (fallback && !inForce) return outcome('unchanged', commit);
  const target = inForce?.target ?? commit;
  const loaded = inForce?.loaded ?? (await loadCommit(context, commit));
  const refused = 'snapshot' in loaded ? invalid(loaded) : loaded;
  if (refused === undefined) memory.stage = 'apply';
  const applied = refused ?? (await applyLoaded(context, target, loaded as LoadedSource));
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

/**
 * A reconcile that failed before apply (fetch, git read, load): Stalled, naming the commit it
 * was on, until one succeeds. Apply records its own attempts.
 */
export async function recordFailureBeforeApply(
  context: ReconcileContext,
  error: unknown,
  started: number,
): Promise<void> {
  const { memory, source, options, paths } = context;
  const commit =
    memory.attempted ??
    memory.lastCommit ??
    (await resolveCommit(source, options.ref).catch(() => undefined));
  await recordEarlyFailure(paths.status, {
    ...(commit === undefined ? {} : { commit }),
    reason: memory.stage === 'load' ? 'LoadFailed' : 'FetchFailed',
    error: errorMessage(error),
    durationMs: Date.now() - started,
    at: new Date(),
  });
}
