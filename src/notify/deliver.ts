import { setTimeout as sleep } from 'node:timers/promises';
import type { ReceiverRequest } from './requests.js';

export interface DeliveryOptions {
  /** One attempt's limit. */
  timeoutMs: number;
  /** Waits before the 2nd, 3rd … attempt; their count + 1 is the number of attempts. */
  retryDelaysMs: readonly number[];
  /** Stops everything (the run's deadline for this receiver). */
  signal: AbortSignal;
}

export interface Delivery {
  ok: boolean;
  attempts: number;
  /** The receiver's answer: `200 OK`. */
  status?: number;
  /** The start of the answer's body (healthchecks says `OK`), for `notify test`. */
  answer?: string;
  /** Why it failed, for people; never the URL. */
  error?: string;
}

const ANSWER_CHARS = 200;

/** A network failure said without the URL (undici's causes carry codes, not the address we asked). */
function networkError(error: unknown, timeoutMs: number, timedOut: boolean): string {
  if (timedOut) return `timed out after ${timeoutMs / 1000}s`;
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection reset';
    case undefined:
      return (error as { name?: unknown })?.name === 'AbortError' ? 'aborted' : 'request failed';
    default:
      return `request failed (${code})`;
  }
}

/** Server errors and rate limits are worth another try; other answers are final. */
function retriable(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

/** POSTs the request with a timeout per attempt and a few retries with backoff; never throws. */
export async function deliver(request: ReceiverRequest, options: DeliveryOptions): Promise<Delivery> {
  let attempts = 0;
  let last: Delivery = { ok: false, attempts: 0, error: 'gave up: the run ended' };
  for (const delay of [0, ...options.retryDelaysMs]) {
    if (options.signal.aborted) break;
    if (delay > 0) {
      try {
        await sleep(delay, undefined, { signal: options.signal });
      } catch {
        break;
      }
    }
    attempts++;
    const timeout = AbortSignal.timeout(options.timeoutMs);
    try {
      const response = await fetch(request.url, {
        method: 'POST',
        headers: request.headers,
        body: request.body,
        redirect: 'follow',
        signal: AbortSignal.any([timeout, options.signal]),
      });
      const text = (await response.text()).slice(0, ANSWER_CHARS).trim();
      last = {
        ok: response.ok,
        attempts,
        status: response.status,
        answer: `${response.status} ${response.statusText}${text === '' ? '' : `: ${text}`}`.trim(),
        ...(response.ok ? {} : { error: `HTTP ${response.status}` }),
      };
      if (response.ok || !retriable(response.status)) return last;
    } catch (error: unknown) {
      const stopped = options.signal.aborted && !timeout.aborted;
      last = {
        ok: false,
        attempts,
        error: stopped ? 'gave up: the run ended' : networkError(error, options.timeoutMs, timeout.aborted),
      };
    }
  }
  return { ...last, attempts };
}
