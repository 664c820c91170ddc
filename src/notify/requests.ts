import { createHmac } from 'node:crypto';
import type { ResolvedReceiver } from '../config/notify.js';
import { redactDeep } from '../log.js';
import { logTail } from './log-tail.js';
import type { NotifyMessage } from './message.js';

/** A receiver's secrets, once its commands have printed them. */
export interface ReceiverSecrets {
  url: string;
  /** webhook: the HMAC key. */
  secret?: string;
  /** ntfy: the access token. */
  token?: string;
}

export interface ReceiverRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export const SIGNATURE_HEADER = 'X-Borgops-Signature-256';
const USER_AGENT = 'borgops-notify/1';
/** ntfy turns a longer message into an attachment. */
const NTFY_BODY_BYTES = 4000;

/** `sha256=<hex>` of the body with the secret, as GitHub's X-Hub-Signature-256. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

function textOf(message: NotifyMessage): string {
  const lines = [message.summary];
  for (const warning of message.warnings) lines.push(`warning: ${warning}`);
  if (message.log !== '') lines.push('', message.log);
  return `${lines.join('\n')}\n`;
}

/** healthchecks: `/start`, the URL itself on success, `/fail`, `/log` for a test (it changes no state). */
function healthchecksPath(receiver: ResolvedReceiver, message: NotifyMessage): string {
  switch (message.event) {
    case 'start':
      return '/start';
    case 'success':
    case 'ready':
      return '';
    case 'warn':
      return receiver.failOnWarning ? '/fail' : '';
    case 'test':
      return '/log';
    case 'verification':
      return message.result === 'failure' ? '/fail' : '';
    default:
      return '/fail';
  }
}

function withPath(url: string, suffix: string, runId: string | undefined): string {
  const parsed = new URL(url);
  parsed.pathname = `${parsed.pathname.replace(/\/+$/, '')}${suffix}`;
  // a run id pairs a start with its end when two destinations report to one check at once
  if (runId !== undefined) parsed.searchParams.set('rid', runId);
  return parsed.toString();
}

const NTFY = {
  start: { priority: '2', tags: 'arrow_forward', title: 'backup started' },
  success: { priority: '2', tags: 'white_check_mark', title: 'backup succeeded' },
  warn: { priority: '3', tags: 'warning', title: 'backup succeeded with warnings' },
  fail: { priority: '5', tags: 'rotating_light', title: 'backup failed' },
  stalled: { priority: '4', tags: 'no_entry', title: 'commit not applied' },
  ready: { priority: '2', tags: 'white_check_mark', title: 'Ready again' },
  verification: { priority: '3', tags: 'mag', title: 'verification' },
  test: { priority: '3', tags: 'test_tube', title: 'test notification' },
} as const;

/** The HTTP request a receiver gets for a message (always a POST). Pure. */
export function requestFor(
  receiver: ResolvedReceiver,
  secrets: ReceiverSecrets,
  message: NotifyMessage,
  runId?: string,
): ReceiverRequest {
  return requestOf(receiver, secrets, redactDeep(message) as NotifyMessage, runId);
}

// a declared secret text (a passCommand) or a URL credential in a message never leaves the machine
function requestOf(
  receiver: ResolvedReceiver,
  secrets: ReceiverSecrets,
  message: NotifyMessage,
  runId?: string,
): ReceiverRequest {
  const base = { 'User-Agent': USER_AGENT };
  switch (receiver.kind) {
    case 'healthchecks':
      return {
        url: withPath(secrets.url, healthchecksPath(receiver, message), runId),
        headers: { ...base, 'Content-Type': 'text/plain; charset=utf-8' },
        body: logTail(textOf(message)),
      };
    case 'webhook': {
      const body = JSON.stringify({ version: 1, ...message, log: logTail(message.log) });
      return {
        url: secrets.url,
        headers: {
          ...base,
          'Content-Type': 'application/json',
          'X-Borgops-Event': message.event,
          ...(secrets.secret === undefined ? {} : { [SIGNATURE_HEADER]: signature(secrets.secret, body) }),
        },
        body,
      };
    }
    case 'ntfy': {
      const style = NTFY[message.event];
      const what =
        message.destination === undefined ? message.machine : `${message.machine}/${message.destination}`;
      // a check or drill says which and how: `check failed`, `drill passed`, `drill overdue`
      // a stale backup (no success within maxAge, told by the agent) reads `backup overdue`
      const title =
        message.event === 'verification'
          ? `${message.verification ?? style.title} ${message.result === 'failure' ? (message.failure === 'overdue' ? 'overdue' : 'failed') : 'passed'}`
          : message.event === 'fail' && message.failure === 'stale'
            ? 'backup overdue'
            : style.title;
      return {
        url: secrets.url,
        headers: {
          ...base,
          'Content-Type': 'text/plain; charset=utf-8',
          // header values must be ASCII: names are, by the name rule
          Title: `borgops ${what}: ${title}`,
          Priority: message.event === 'verification' && message.result === 'failure' ? '4' : style.priority,
          Tags: style.tags,
          ...(secrets.token === undefined ? {} : { Authorization: `Bearer ${secrets.token}` }),
        },
        body: logTail(textOf(message), NTFY_BODY_BYTES),
      };
    }
  }
}
