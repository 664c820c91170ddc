// agent/: the long-running `watch` loop, its HTTP listener and its embedded job runner; the
// only room with a process that lives between commands (ARCHITECTURE.md).
import { loadDeclarations } from '../../src/config/load.js';
import { formatProblem } from '../../src/config/problem.js';
import { errorMessage, isBorgopsError } from '../../src/errors.js';
import { ensureMirror, fetchMirror, isRemoteSource } from '../../src/git/remote.js';
import { type GitSource, openSource, readAtCommit, resolveCommit } from '../../src/git/source.js';
import { type VerifyOptions, verifyCommit } from '../../src/git/verify.js';
import { type RefWatcher, watchRefs } from '../../src/git/watch-refs.js';
import { readApplied } from '../../src/host/applied.js';
import { hostPaths } from '../../src/host/paths.js';
import { clearFailedCommit, readStatus, recordFailedCommit } from '../../src/host/status.js';
import { type ApplyOptions, runApply } from '../engine/converge.js';
import type { LoadedSource } from '../engine/declarations.js';

export type Trigger = 'start' | 'commit' | 'interval' | 'webhook' | 'drift' | 'retry';

export interface ReconcileOutcome {
  trigger: Trigger;
  commit?: string;
  result: 'applied' | 'partial' | 'failed' | 'refused' | 'invalid' | 'unverified' | 'unchanged';
  actions: number;
  errors: string[];
  durationMs: number;
}

export interface WatchOptions extends Omit<ApplyOptions, 'planFile' | 'loaded' | 'ref' | 'worktree'> {
  /** A local repository path, or a URL mirrored into the state directory. */
  source: string;
  /** The branch (or any ref) to follow; default HEAD of the source. */
  ref: string;
  /** Seconds between fetches of a remote source (or re-reads of a local one), with ±10% jitter. */
  intervalSeconds: number;
  /** Seconds between re-observations that correct drift even without a new commit (0: off). */
  driftSeconds: number;
  verify?: VerifyOptions;
  /** Longest wait between retries of a failing reconcile. */
  maxBackoffSeconds?: number;
  onReconcile?: (outcome: ReconcileOutcome) => void;
  signal: AbortSignal;
  /** Random in [0, 1), for jitter (tests pass a fixed one). */
  random?: () => number;
}

export interface WatchLoop {
  /** Fetch and reconcile now (the webhook). */
  trigger(reason: Trigger): void;
  /** Resolves when the loop has stopped (after the signal aborts and the current step ends). */
  done: Promise<void>;
}

/** Reconcile outcomes that will not change by retrying the same commit. */
const permanent = new Set(['invalid', 'unverified', 'refused']);

/**
 * The GitOps loop for one machine: follow a ref, and for each new commit verify, load,
 * validate, plan and apply; an invalid commit is never applied (the last applied declarations
 * stay in force); failures retry with exponential backoff; drift is corrected on a timer.
 */
export async function startWatch(options: WatchOptions): Promise<WatchLoop> {
  const { logger, signal } = options;
  const paths = hostPaths(options.root, options.stateDir);
  const remote = isRemoteSource(options.source);
  const source: GitSource = remote
    ? await ensureMirror(options.source, paths.mirrors)
    : await openSource(options.source);
  const random = options.random ?? Math.random;

  let pending: Trigger | undefined = 'start';
  let wake: (() => void) | undefined;
  let failures = 0;
  let retryAt = 0;
  let lastCommit: string | undefined;
  let lastResult: ReconcileOutcome['result'] | undefined;
  const timers: NodeJS.Timeout[] = [];

  const trigger = (reason: Trigger) => {
    // a commit or webhook outranks a timer; any reason wakes the loop
    if (pending === undefined || reason === 'commit' || reason === 'webhook' || reason === 'start')
      pending = reason;
    wake?.();
  };
  const every = (seconds: number, reason: Trigger) => {
    if (seconds <= 0) return;
    const schedule = () => {
      const jittered = seconds * 1000 * (0.9 + 0.2 * random());
      timers.push(
        setTimeout(() => {
          trigger(reason);
          schedule();
        }, jittered),
      );
    };
    schedule();
  };

  let watcher: RefWatcher | undefined;
  if (!remote) watcher = await watchRefs(source, () => trigger('commit'));
  every(options.intervalSeconds, 'interval');
  every(options.driftSeconds, 'drift');

  async function reconcile(reason: Trigger): Promise<ReconcileOutcome> {
    const started = Date.now();
    const outcome = (
      result: ReconcileOutcome['result'],
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
    if (remote && reason !== 'drift' && reason !== 'retry') await fetchMirror(source, options.source);
    const commit = await resolveCommit(source, options.ref);
    const status = await readStatus(paths.status);
    const moved = commit !== lastCommit;
    if (
      !moved &&
      reason !== 'drift' &&
      reason !== 'retry' &&
      reason !== 'start' &&
      lastResult !== undefined
    ) {
      return outcome('unchanged', commit);
    }
    lastCommit = commit;

    // a known-bad head does not stop drift correction: the applied declarations stay in force
    let target = commit;
    let loaded: LoadedSource | undefined;
    const headFailed = status.failedCommit?.commit === commit;
    if ((reason === 'drift' || reason === 'retry') && headFailed) {
      const applied = await readApplied(paths.applied);
      if (!applied) return outcome('unchanged', commit);
      target = applied.commit ?? commit;
      const files = new Map(Object.entries(applied.files));
      loaded = {
        snapshot: { ...(applied.commit ? { commit: applied.commit } : {}), worktree: false, files },
        result: loadDeclarations(files, applied.commit),
      };
    }

    if (!loaded && options.verify) {
      const verification = await verifyCommit(source, commit, options.verify);
      if (!verification.ok) {
        await markFailed(
          commit,
          'UnverifiedCommit',
          `not applied: ${verification.message}`,
          'unverified',
          started,
        );
        return outcome('unverified', commit, [verification.message]);
      }
    }
    if (!loaded) {
      const snapshot = await readAtCommit(source, commit);
      loaded = { snapshot, result: loadDeclarations(snapshot.files, snapshot.commit) };
    }
    if (!loaded.result.declarations) {
      const problems = loaded.result.problems.filter((p) => p.severity === 'error').map(formatProblem);
      await markFailed(
        commit,
        'InvalidDeclarations',
        `invalid declarations: ${problems.join('; ')}`,
        'invalid',
        started,
      );
      return outcome('invalid', commit, problems);
    }

    try {
      const { result } = await runApply({ ...options, ref: target, worktree: false, loaded });
      const errors = result.errors.map((e) => e.message);
      if (target === commit) await clearFailed(commit);
      return {
        trigger: reason,
        commit: target,
        result: errors.length === 0 ? 'applied' : 'partial',
        actions: result.done.length,
        errors,
        durationMs: Date.now() - started,
      };
    } catch (error: unknown) {
      if (isBorgopsError(error, 'E_GUARD')) {
        const message = [error.shortMessage, ...error.details].join('; ');
        await markFailed(commit, 'RefusedByGuard', message, 'refused', started);
        return outcome('refused', commit, [message]);
      }
      throw error;
    }
  }

  async function markFailed(
    commit: string,
    reason: string,
    message: string,
    result: 'invalid' | 'unverified' | 'refused',
    started: number,
  ): Promise<void> {
    await recordFailedCommit(paths.status, {
      commit,
      reason,
      message,
      result,
      durationMs: Date.now() - started,
      at: new Date(),
    });
  }

  async function clearFailed(commit: string): Promise<void> {
    await clearFailedCommit(paths.status, commit);
  }

  async function run(): Promise<void> {
    while (!signal.aborted) {
      if (pending === undefined || Date.now() < retryAt) {
        await new Promise<void>((resolve) => {
          const delay = Math.max(0, retryAt - Date.now());
          const timer = pending !== undefined && delay > 0 ? setTimeout(finish, delay) : undefined;
          const onAbort = () => finish();
          function finish(): void {
            if (timer) clearTimeout(timer);
            signal.removeEventListener('abort', onAbort);
            wake = undefined;
            resolve();
          }
          wake = finish;
          signal.addEventListener('abort', onAbort, { once: true });
        });
        continue;
      }
      const reason = pending;
      pending = undefined;
      let outcome: ReconcileOutcome;
      try {
        outcome = await reconcile(reason);
      } catch (error: unknown) {
        outcome = {
          trigger: reason,
          result: 'failed',
          actions: 0,
          errors: [errorMessage(error)],
          durationMs: 0,
          ...(lastCommit ? { commit: lastCommit } : {}),
        };
      }
      lastResult = outcome.result;
      if (outcome.result === 'failed' || outcome.result === 'partial') {
        failures++;
        const backoff =
          Math.min(options.maxBackoffSeconds ?? 300, 2 ** Math.min(failures, 12)) * (0.9 + 0.2 * random());
        retryAt = Date.now() + backoff * 1000;
        if (pending === undefined) pending = 'retry';
      } else {
        if (!permanent.has(outcome.result)) failures = 0;
        retryAt = 0;
      }
      if (outcome.result !== 'unchanged') {
        const log = outcome.errors.length > 0 ? logger.warn.bind(logger) : logger.info.bind(logger);
        log(
          {
            trigger: outcome.trigger,
            commit: outcome.commit,
            result: outcome.result,
            actions: outcome.actions,
            errors: outcome.errors,
            durationMs: outcome.durationMs,
          },
          'reconcile',
        );
      }
      options.onReconcile?.(outcome);
    }
  }

  const done = run().finally(async () => {
    for (const timer of timers) clearTimeout(timer);
    await watcher?.close();
  });
  return { trigger, done };
}
