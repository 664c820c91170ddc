/** What one reconcile ended with, as the loop sees it. */
export type LoopResult =
  | 'applied'
  | 'partial'
  | 'failed'
  | 'refused'
  | 'invalid'
  | 'unverified'
  | 'unchanged';

/** Reconcile results that will not change by retrying the same commit. */
const permanent = new Set<LoopResult>(['invalid', 'unverified', 'refused']);

/** ±10% of `seconds`, so a fleet's agents spread out. */
export function jittered(seconds: number, random: () => number): number {
  return seconds * (0.9 + 0.2 * random());
}

/** Seconds before retrying after `failures` failures in a row: 2, 4, 8 … up to `maxSeconds` (with jitter). */
export function backoffSeconds(failures: number, maxSeconds: number, random: () => number): number {
  return jittered(Math.min(maxSeconds, 2 ** Math.min(failures, 12)), random);
}

export interface RetryState {
  /** Failures in a row (failed or partial reconciles). */
  failures: number;
  /** When the next retry may start (epoch ms); 0: no retry pending. */
  retryAt: number;
}

/**
 * The retry state after a reconcile: a failed or partial one backs off exponentially and asks
 * for a retry; a success resets the count; a permanent result (an invalid commit) keeps it, as
 * retrying the same commit would not help.
 */
export function afterReconcile(
  state: RetryState,
  result: LoopResult,
  now: number,
  maxSeconds: number,
  random: () => number,
): RetryState & { retry: boolean } {
  if (result === 'failed' || result === 'partial') {
    const failures = state.failures + 1;
    return { failures, retryAt: now + backoffSeconds(failures, maxSeconds, random) * 1000, retry: true };
  }
  return { failures: permanent.has(result) ? state.failures : 0, retryAt: 0, retry: false };
}
