import { setTimeout as delay } from 'node:timers/promises';

/** The longest delay a Node timer takes (~24.8 days): "until woken" sleeps this long, then looks again. */
const LONGEST_MS = 2_147_483_647;

/**
 * Sleeps `ms` (until `signal` aborts when undefined), returning early when `signal` aborts; the
 * abort is not an error here (callers check `signal.aborted`).
 */
export async function sleep(ms: number | undefined, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return;
  const clamped = Math.min(Math.max(0, ms ?? LONGEST_MS), LONGEST_MS);
  try {
    await delay(clamped, undefined, signal === undefined ? {} : { signal });
  } catch (error: unknown) {
    if (!signal?.aborted) throw error;
  }
}

/** A sleep that another part of the program can cut short: a loop poked by a webhook or an apply. */
export interface Waker {
  sleep(ms: number | undefined, signal: AbortSignal): Promise<void>;
  /** Ends the current sleep now; nothing when none is under way. */
  wake(): void;
}

export function createWaker(): Waker {
  let current: AbortController | undefined;
  return {
    async sleep(ms, signal) {
      const controller = new AbortController();
      current = controller;
      try {
        await sleep(ms, AbortSignal.any([signal, controller.signal]));
      } finally {
        if (current === controller) current = undefined;
      }
    },
    wake() {
      current?.abort();
    },
  };
}
