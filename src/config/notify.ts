import { compareStrings } from '../util/compare.js';
import { durationSeconds } from './defaults.js';
import type { ResolvedDestination } from './model.js';
import type { NOTIFY_EVENTS, Receiver } from './schema.js';

export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

export const RECEIVER_KINDS = ['healthchecks', 'webhook', 'ntfy'] as const;
export type ReceiverKind = (typeof RECEIVER_KINDS)[number];

export const DEFAULT_NOTIFY_ON: readonly NotifyEvent[] = ['fail'];
export const DEFAULT_NOTIFY_TIMEOUT_SECONDS = 10;
const MAX_NOTIFY_TIMEOUT_SECONDS = 300;

/**
 * A receiver of one client after role and machine settings are merged. The URL (or the command
 * printing it), the secret and the token are secrets: only names, kinds and events are shown.
 */
export interface ResolvedReceiver {
  name: string;
  kind: ReceiverKind;
  url?: string;
  urlCommand?: string;
  /** webhook: the command printing the HMAC secret. */
  secretCommand?: string;
  /** ntfy: the command printing the access token. */
  tokenCommand?: string;
  /** healthchecks: a warning pings /fail. */
  failOnWarning: boolean;
  on: NotifyEvent[];
  /** Destination names this receiver hears about; absent: all of them. */
  destinations?: string[];
  timeoutSeconds: number;
}

export interface ReceiverProblem {
  /** Path below the receiver (`['healthchecks', 'url']`), empty for the receiver itself. */
  at: PropertyKey[];
  message: string;
}

/** Merged receiver settings → a resolved receiver, or the problems that stop it (every one at once). */
export function resolveReceiver(
  name: string,
  receiver: Receiver,
  destinations: readonly ResolvedDestination[],
  machine: string,
): { receiver?: ResolvedReceiver; problems: ReceiverProblem[] } {
  const problems: ReceiverProblem[] = [];
  const kinds = RECEIVER_KINDS.filter((kind) => receiver[kind] !== undefined);
  if (kinds.length !== 1) {
    problems.push({
      at: [],
      message:
        kinds.length === 0
          ? 'needs one receiver kind: healthchecks, webhook or ntfy'
          : `has ${kinds.join(' and ')}: a receiver has exactly one kind (declare another receiver for the other)`,
    });
  }
  const kind = kinds[0];
  const body = kind === undefined ? undefined : receiver[kind];
  if (kind !== undefined && body !== undefined) {
    const given = [body.url, body.urlCommand].filter((value) => value !== undefined).length;
    if (given !== 1) {
      problems.push({
        at: [kind],
        message:
          given === 0
            ? 'needs url or urlCommand'
            : 'has both url and urlCommand (the machine settings may add one to the role settings): keep one',
      });
    }
  }
  const byKey = new Map(destinations.flatMap((d) => [[d.key, d.name] as const, [d.name, d.name] as const]));
  const limited: string[] = [];
  for (const [index, destination] of (receiver.destinations ?? []).entries()) {
    const resolved = byKey.get(destination);
    if (resolved === undefined) {
      const known = destinations.map((d) => d.name).join(', ') || 'none';
      problems.push({
        at: ['destinations', index],
        message: `destination "${destination}" is not a destination of ${machine} (its destinations: ${known})`,
      });
    } else if (!limited.includes(resolved)) limited.push(resolved);
  }
  const timeoutSeconds =
    receiver.timeout === undefined ? DEFAULT_NOTIFY_TIMEOUT_SECONDS : durationSeconds(receiver.timeout);
  if (timeoutSeconds < 1 || timeoutSeconds > MAX_NOTIFY_TIMEOUT_SECONDS) {
    problems.push({
      at: ['timeout'],
      message: `timeout must be between 1s and ${MAX_NOTIFY_TIMEOUT_SECONDS / 60}m (a receiver never holds a backup longer)`,
    });
  }
  if (problems.length > 0 || kind === undefined || body === undefined) return { problems };
  const on = [...new Set(receiver.on ?? DEFAULT_NOTIFY_ON)];
  return {
    problems,
    receiver: {
      name,
      kind,
      ...(body.url === undefined ? {} : { url: body.url }),
      ...(body.urlCommand === undefined ? {} : { urlCommand: body.urlCommand }),
      ...('secretCommand' in body && body.secretCommand !== undefined
        ? { secretCommand: body.secretCommand }
        : {}),
      ...('tokenCommand' in body && body.tokenCommand !== undefined
        ? { tokenCommand: body.tokenCommand }
        : {}),
      failOnWarning: ('failOnWarning' in body && body.failOnWarning) === true,
      on,
      ...(receiver.destinations === undefined ? {} : { destinations: limited.sort(compareStrings) }),
      timeoutSeconds,
    },
  };
}
