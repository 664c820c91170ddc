// agent/: the long-running `watch` loop, its HTTP listener and its embedded job runner; the
// only room with a process that lives between commands (ARCHITECTURE.md).
import { errorMessage } from '../../src/errors.js';
import { ensureMirror, isRemoteSource } from '../../src/git/remote.js';
import { type GitSource, openSource } from '../../src/git/source.js';
import type { VerifyOptions } from '../../src/git/verify.js';
import { type RefWatcher, watchRefs } from '../../src/git/watch-refs.js';
import type { Logger } from '../../src/log.js';
import { createWaker, sleep } from '../../src/util/sleep.js';
import { type ApplyOptions, convergePaths } from '../engine/converge.js';
import { afterReconcile, jittered, type LoopResult, type RetryState } from './backoff.js';
import { agentNotices } from './notices.js';
import { type ReconcileContext, reconcileCommit, recordFailureBeforeApply } from './reconcile-commit.js';

export type Trigger = 'start' | 'commit' | 'interval' | 'webhook' | 'drift' | 'retry';

export interface ReconcileOutcome {
  trigger: Trigger;
  commit?: string;
  result: LoopResult;
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

/** Calls `tick` every `seconds` (±10% each time) until `signal` aborts; one timer at a time. */
async function every(
  seconds: number,
  random: () => number,
  signal: AbortSignal,
  tick: () => void,
): Promise<void> {
  if (seconds <= 0) return;
  while (!signal.aborted) {
    await sleep(jittered(seconds, random) * 1000, signal);
    if (!signal.aborted) tick();
  }
}

function logOutcome(logger: Logger, outcome: ReconcileOutcome): void {
  if (outcome.result === 'unchanged') return;
  const { trigger, commit, result, actions, errors, durationMs } = outcome;
  const fields = { trigger, commit, result, actions, errors, durationMs };
  if (errors.length > 0) logger.warn(fields, 'reconcile');
  else logger.info(fields, 'reconcile');
}

/** Reconciles whenever a trigger is pending and no retry backoff is running, until the signal aborts. */
async function runLoop(context: ReconcileContext, triggers: Triggers): Promise<void> {
  const { options } = context;
  const random = options.random ?? Math.random;
  let retry: RetryState = { failures: 0, retryAt: 0 };
  // what is overdue (a backup job that stopped, a drill that never runs) is looked at as often as
  // drift, every 5 minutes when drift is off: its clocks are hours and days
  const overdueEveryMs = (options.driftSeconds > 0 ? options.driftSeconds : 300) * 1000;
  let overdueAt = 0;
  while (!options.signal.aborted) {
    const reason = triggers.pending;
    if (reason === undefined || Date.now() < retry.retryAt) {
      await triggers.waker.sleep(
        reason === undefined ? undefined : retry.retryAt - Date.now(),
        options.signal,
      );
      continue;
    }
    triggers.pending = undefined;
    let outcome: ReconcileOutcome;
    const started = Date.now();
    try {
      outcome = await reconcileCommit(context, reason);
    } catch (error: unknown) {
      if (context.memory.stage !== 'apply')
        await recordFailureBeforeApply(context, error, started).catch((recordError: unknown) =>
          options.logger.error({ err: recordError }, 'cannot record the failed reconcile in status'),
        );
      const commit = context.memory.lastCommit;
      outcome = {
        trigger: reason,
        result: 'failed',
        actions: 0,
        errors: [errorMessage(error)],
        durationMs: 0,
      };
      if (commit) outcome.commit = commit;
    }
    context.memory.lastResult = outcome.result;
    const next = afterReconcile(retry, outcome.result, Date.now(), options.maxBackoffSeconds ?? 300, random);
    retry = { failures: next.failures, retryAt: next.retryAt };
    if (next.retry && triggers.pending === undefined) triggers.pending = 'retry';
    logOutcome(options.logger, outcome);
    options.onReconcile?.(outcome);
    if (Date.now() >= overdueAt) {
      overdueAt = Date.now() + overdueEveryMs;
      context.notices.overdue();
    }
  }
}

/** The reason to reconcile next, and the sleep a new reason cuts short. */
interface Triggers {
  pending: Trigger | undefined;
  waker: ReturnType<typeof createWaker>;
}

function pendingTrigger(triggers: Triggers, reason: Trigger): void {
  // a commit or webhook outranks a timer; any reason wakes the loop
  if (triggers.pending === undefined || reason === 'commit' || reason === 'webhook' || reason === 'start')
    triggers.pending = reason;
  triggers.waker.wake();
}

/**
 * The GitOps loop for one machine: follow a ref, and for each new commit verify, load,
 * validate, plan and apply; an invalid commit is never applied (the last applied declarations
 * stay in force); failures retry with exponential backoff; drift is corrected on a timer.
 */
export async function startWatch(options: WatchOptions): Promise<WatchLoop> {
  const paths = convergePaths(options);
  const remote = isRemoteSource(options.source);
  const source: GitSource = remote
    ? await ensureMirror(options.source, paths.mirrors)
    : await openSource(options.source);
  const random = options.random ?? Math.random;
  const triggers: Triggers = { pending: 'start', waker: createWaker() };
  const trigger = (reason: Trigger) => pendingTrigger(triggers, reason);

  const watcher: RefWatcher | undefined = remote
    ? undefined
    : await watchRefs(source, () => trigger('commit'));
  // the timers stop with the loop, even when it ends without the signal
  const stop = new AbortController();
  const signal = AbortSignal.any([options.signal, stop.signal]);
  const timers = [
    every(options.intervalSeconds, random, signal, () => trigger('interval')),
    every(options.driftSeconds, random, signal, () => trigger('drift')),
  ];
  const notices = agentNotices({
    paths,
    machine: options.machine,
    logger: options.logger,
    ...(options.notifyRetryDelaysMs === undefined ? {} : { retryDelaysMs: options.notifyRetryDelaysMs }),
  });
  const context: ReconcileContext = { options, paths, source, remote, notices, memory: {} };
  const done = runLoop(context, triggers).finally(async () => {
    stop.abort();
    await Promise.all(timers);
    await watcher?.close();
    await notices.idle();
  });
  return { trigger, done };
}
