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
import { readStatusForUpdate, writeStatus } from '../../src/host/status.js';
import { type ApplyOptions, convergePaths, runApply } from '../engine/converge.js';
import { type LoadedSource, validateFiles } from '../engine/declarations.js';
import { agentNotices } from './notices.js';

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
  /** Waits between notification attempts (tests shorten them). */
  notifyRetryDelaysMs?: readonly number[];
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
  const paths = convergePaths(options);
  const remote = isRemoteSource(options.source);
  const source: GitSource = remote
    ? await ensureMirror(options.source, paths.mirrors)
    : await openSource(options.source);
  const random = options.random ?? Math.random;
  const notices = agentNotices({
    paths,
    machine: options.machine,
    logger,
    ...(options.notifyRetryDelaysMs === undefined ? {} : { retryDelaysMs: options.notifyRetryDelaysMs }),
  });

  let pending: Trigger | undefined = 'start';
  let wake: (() => void) | undefined;
  let failures = 0;
  let retryAt = 0;
  let lastCommit: string | undefined;
  let lastResult: ReconcileOutcome['result'] | undefined;
  // how far the current reconcile got: a failure before apply is recorded here, apply records its own
  let stage: 'fetch' | 'load' | 'apply' = 'fetch';
  let attempted: string | undefined;
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
    stage = 'fetch';
    attempted = undefined;
    // a retry fetches too: the failure it retries may have been the fetch
    if (remote && reason !== 'drift') await fetchMirror(source, options.source);
    stage = 'load';
    const commit = await resolveCommit(source, options.ref);
    attempted = commit;
    const status = await readStatusForUpdate(paths.status);
    const moved = commit !== lastCommit;
    if (
      !moved &&
      reason !== 'drift' &&
      reason !== 'retry' &&
      reason !== 'start' &&
      lastResult !== undefined &&
      lastResult !== 'failed' &&
      lastResult !== 'partial'
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
      let snapshot: Awaited<ReturnType<typeof readAtCommit>>;
      try {
        snapshot = await readAtCommit(source, commit);
      } catch (error: unknown) {
        // a link, a submodule, a file too large: the commit is as bad as an invalid one
        if (!isBorgopsError(error, 'E_CONFIG')) throw error;
        const problems = [...new Set([error.shortMessage, ...error.details])];
        await markFailed(
          commit,
          'InvalidDeclarations',
          `invalid declarations: ${problems.join('; ')}`,
          'invalid',
          started,
          problems,
        );
        return outcome('invalid', commit, problems);
      }
      loaded = { snapshot, result: await validateFiles(snapshot.files, snapshot.commit) };
    }
    if (!loaded.result.declarations) {
      const problems = loaded.result.problems.filter((p) => p.severity === 'error').map(formatProblem);
      await markFailed(
        commit,
        'InvalidDeclarations',
        `invalid declarations: ${problems.join('; ')}`,
        'invalid',
        started,
        problems,
      );
      return outcome('invalid', commit, problems);
    }

    stage = 'apply';
    try {
      const { result } = await runApply({ ...options, ref: target, worktree: false, loaded });
      const errors = result.errors.map((e) => e.message);
      if (target === commit) {
        const receivers =
          loaded.result.declarations.clients.find((c) => c.machine === options.machine)?.receivers ?? [];
        if (await clearFailed(commit)) notices.ready(commit, receivers);
      }
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
    result: ReconcileOutcome['result'],
    started: number,
    problems: readonly string[] = [message],
  ): Promise<void> {
    const status = await readStatusForUpdate(paths.status);
    // once per refused commit: drift and retries see the same one again
    if (status.failedCommit?.commit !== commit) notices.stalled(commit, reason, problems);
    await writeStatus(paths.status, {
      ...status,
      failedCommit: { commit, reason, message },
      lastAttempt: {
        at: new Date().toISOString(),
        commit,
        result: result === 'unverified' ? 'unverified' : result === 'refused' ? 'refused' : 'invalid',
        actions: 0,
        errors: [message],
        durationMs: Date.now() - started,
      },
    });
  }

  /**
   * A reconcile that failed before apply (fetch, git read, load): Stalled, naming the commit it
   * was on, until one succeeds. Apply records its own attempts.
   */
  async function markEarlyFailure(error: unknown, started: number): Promise<void> {
    const commit =
      attempted ?? lastCommit ?? (await resolveCommit(source, options.ref).catch(() => undefined));
    const status = await readStatusForUpdate(paths.status);
    await writeStatus(paths.status, {
      ...status,
      lastAttempt: {
        at: new Date().toISOString(),
        ...(commit === undefined ? {} : { commit }),
        result: 'failed',
        reason: stage === 'fetch' ? 'FetchFailed' : 'LoadFailed',
        actions: 0,
        errors: [errorMessage(error)],
        durationMs: Date.now() - started,
      },
    });
  }

  /** True when a refused commit was on record: the machine is back to Ready. */
  async function clearFailed(commit: string): Promise<boolean> {
    const status = await readStatusForUpdate(paths.status);
    if (status.failedCommit === undefined) return false;
    const { failedCommit: _dropped, ...rest } = status;
    await writeStatus(paths.status, { ...rest, appliedCommit: commit });
    return true;
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
      const started = Date.now();
      try {
        outcome = await reconcile(reason);
      } catch (error: unknown) {
        if (stage !== 'apply')
          await markEarlyFailure(error, started).catch((recordError: unknown) =>
            logger.error({ err: recordError }, 'cannot record the failed reconcile in status'),
          );
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
    await notices.idle();
  });
  return { trigger, done };
}
