import { describe, expect, it } from 'vitest';
import { afterReconcile, backoffSeconds, jittered } from '../../../reconcile/agent/backoff.js';

const middle = () => 0.5;

describe('the watch loop backoff', () => {
  it.each([
    [1, 2],
    [2, 4],
    [5, 32],
    [8, 256],
    [9, 300],
    [40, 300],
  ])('after %i failures in a row waits %i s (max 300)', (failures, seconds) => {
    expect(backoffSeconds(failures, 300, middle)).toBe(seconds);
  });

  it('jitters ±10%', () => {
    expect(jittered(100, () => 0)).toBe(90);
    expect(jittered(100, () => 0.999_999)).toBeCloseTo(110, 3);
    expect(backoffSeconds(3, 300, () => 0)).toBeCloseTo(7.2, 6);
  });

  it('backs off on failures, resets on success, keeps the count on a commit that will not apply', () => {
    const now = 1_000_000;
    let state = { failures: 0, retryAt: 0 };
    const failed = afterReconcile(state, 'failed', now, 300, middle);
    expect(failed).toEqual({ failures: 1, retryAt: now + 2000, retry: true });
    state = failed;
    const partial = afterReconcile(state, 'partial', now, 300, middle);
    expect(partial).toEqual({ failures: 2, retryAt: now + 4000, retry: true });
    // an invalid commit will not change by retrying: no retry, but the next failure backs off further
    const invalid = afterReconcile(partial, 'invalid', now, 300, middle);
    expect(invalid).toEqual({ failures: 2, retryAt: 0, retry: false });
    expect(afterReconcile(invalid, 'failed', now, 300, middle).failures).toBe(3);
    expect(afterReconcile(partial, 'applied', now, 300, middle)).toEqual({
      failures: 0,
      retryAt: 0,
      retry: false,
    });
    expect(afterReconcile(partial, 'unchanged', now, 300, middle).failures).toBe(0);
    expect(afterReconcile({ failures: 20, retryAt: 0 }, 'failed', now, 60, middle).retryAt).toBe(
      now + 60_000,
    );
  });
});
