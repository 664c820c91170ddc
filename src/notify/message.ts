import type { NotifyEvent, ResolvedReceiver } from '../config/notify.js';

/** What happened, as every receiver kind is told (the webhook's JSON body is this object). */
export type MessageEvent =
  | 'start'
  | 'success'
  | 'warn'
  | 'fail'
  | 'stalled'
  | 'ready'
  | 'verification'
  | 'test';

/** The result class: what a receiver's user filters and pages on. */
export type ResultClass = 'started' | 'success' | 'warning' | 'failure' | 'stalled' | 'ready' | 'test';

export interface NotifyMessage {
  event: MessageEvent;
  /** `verification`: which one, `check` (borg check) or `drill` (a restore, verified). */
  verification?: 'check' | 'drill';
  result: ResultClass;
  machine: string;
  destination?: string;
  /** Why it failed, by class: borg's (`unreachable`, `passphrase`, `locked`…) or ours (`pre-backup`, `post-backup`, `invalid`…). */
  failure?: string;
  archive?: string;
  durationSeconds?: number;
  warnings: string[];
  /** The commit of the declarations in force (the refused one for `stalled`). */
  commit?: string;
  /** One line for people. */
  summary: string;
  /** The end of the run's log, at most LOG_TAIL_BYTES. */
  log: string;
  at: string;
}

/**
 * Whether a receiver hears about a message. A warning is its own event (`warn`); a healthchecks
 * receiver also gets it as the success it is when it wants successes (a dead man's switch must
 * hear from every run), or as a failure with `failOnWarning`. The return to Ready comes with
 * `stalled`; a test goes to everyone.
 */
export function wants(receiver: ResolvedReceiver, message: NotifyMessage): boolean {
  if (
    message.destination !== undefined &&
    receiver.destinations !== undefined &&
    !receiver.destinations.includes(message.destination)
  )
    return false;
  if (message.event === 'test') return true;
  const on = (event: NotifyEvent) => receiver.on.includes(event);
  switch (message.event) {
    case 'ready':
      return on('stalled');
    case 'warn':
      if (on('warn')) return true;
      if (receiver.kind !== 'healthchecks') return false;
      return receiver.failOnWarning ? on('fail') : on('success');
    default:
      return on(message.event);
  }
}
