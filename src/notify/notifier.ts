import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ResolvedReceiver } from '../config/notify.js';
import type { Logger } from '../log.js';
import { type Delivery, deliver } from './deliver.js';
import { hideSecrets } from './log-tail.js';
import { type MessageEvent, type NotifyMessage, wants } from './message.js';
import { type ReceiverRequest, type ReceiverSecrets, requestFor } from './requests.js';
import { receiverSecrets, SecretsError } from './secrets.js';

/** One message to one receiver, as `notify test` reports it. */
export interface DeliveryReport extends Delivery {
  receiver: string;
  kind: ResolvedReceiver['kind'];
  event: MessageEvent;
  destination?: string;
}

export interface NotifierOptions {
  receivers: readonly ResolvedReceiver[];
  logger: Logger;
  /** Called once per message a receiver did not take after every attempt (the failure counter). */
  onFailure?: (report: DeliveryReport) => void | Promise<void>;
  /** Waits between attempts (default 1 s, 3 s). */
  retryDelaysMs?: readonly number[];
}

export interface Notifier {
  /** Queues the message for every receiver that wants it; returns at once, never throws. */
  send(message: NotifyMessage): void;
  /**
   * Waits for what is queued, each receiver at most its timeout from now, then gives up on the
   * rest (a hanging receiver delays a run by its timeout at most). Returns every delivery so far.
   */
  settle(): Promise<DeliveryReport[]>;
}

interface Lane {
  receiver: ResolvedReceiver;
  controller: AbortController;
  secrets?: Promise<ReceiverSecrets>;
  tail: Promise<void>;
  /** healthchecks run ids, by destination: a start and its end share one. */
  runIds: Map<string, string>;
}

const DEFAULT_RETRY_DELAYS_MS = [1000, 3000] as const;

/**
 * Sends messages to the receivers of one run (or of the agent), one queue per receiver so each
 * hears about a run in order (start before its end), all receivers at once. Failures are logged
 * as warnings and counted; they never reach the caller.
 */
export function createNotifier(options: NotifierOptions): Notifier {
  const { logger } = options;
  const lanes = new Map<string, Lane>();
  const reports: DeliveryReport[] = [];
  const known: string[] = [];

  const laneOf = (receiver: ResolvedReceiver): Lane => {
    let lane = lanes.get(receiver.name);
    if (!lane) {
      lane = { receiver, controller: new AbortController(), tail: Promise.resolve(), runIds: new Map() };
      lanes.set(receiver.name, lane);
    }
    return lane;
  };

  async function post(lane: Lane, message: NotifyMessage): Promise<void> {
    const { receiver } = lane;
    const report = (delivery: Delivery): DeliveryReport => ({
      ...delivery,
      ...(delivery.error === undefined ? {} : { error: hideSecrets(delivery.error, known) }),
      ...(delivery.answer === undefined ? {} : { answer: hideSecrets(delivery.answer, known) }),
      receiver: receiver.name,
      kind: receiver.kind,
      event: message.event,
      ...(message.destination === undefined ? {} : { destination: message.destination }),
    });
    let request: ReceiverRequest;
    try {
      lane.secrets ??= receiverSecrets(receiver, lane.controller.signal);
      const secrets = await lane.secrets;
      known.push(...[secrets.url, secrets.secret, secrets.token].filter((s): s is string => s !== undefined));
      let runId: string | undefined;
      if (receiver.kind === 'healthchecks' && message.destination !== undefined) {
        runId = lane.runIds.get(message.destination) ?? randomUUID();
        lane.runIds.set(message.destination, runId);
      }
      request = requestFor(receiver, secrets, { ...message, log: hideSecrets(message.log, known) }, runId);
    } catch (error: unknown) {
      const why = error instanceof SecretsError ? error.message : 'its URL or secrets could not be read';
      return finish(report({ ok: false, attempts: 0, error: why }));
    }
    const delivery = await deliver(request, {
      timeoutMs: receiver.timeoutSeconds * 1000,
      retryDelaysMs: options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS,
      signal: lane.controller.signal,
    });
    return finish(report(delivery));

    async function finish(done: DeliveryReport): Promise<void> {
      reports.push(done);
      if (done.ok) {
        logger.debug(
          { receiver: done.receiver, event: done.event, status: done.status },
          'notification sent',
        );
        return;
      }
      logger.warn(
        {
          receiver: done.receiver,
          kind: done.kind,
          event: done.event,
          attempts: done.attempts,
          error: done.error,
        },
        'notification failed',
      );
      try {
        await options.onFailure?.(done);
      } catch (error: unknown) {
        logger.warn({ receiver: done.receiver, err: String(error) }, 'notification failure not counted');
      }
    }
  }

  return {
    send(message) {
      for (const receiver of options.receivers) {
        if (!wants(receiver, message)) continue;
        const lane = laneOf(receiver);
        if (lane.controller.signal.aborted) continue;
        lane.tail = lane.tail.then(() => post(lane, message)).catch(() => undefined);
      }
    },
    async settle() {
      await Promise.all(
        [...lanes.values()].map(async (lane) => {
          const deadline = new AbortController();
          const timer = sleep(lane.receiver.timeoutSeconds * 1000, 'late', { signal: deadline.signal }).catch(
            () => 'done',
          );
          const outcome = await Promise.race([lane.tail.then(() => 'done'), timer]);
          deadline.abort();
          if (outcome === 'late') lane.controller.abort();
          await lane.tail;
          if (outcome === 'late') lane.controller = new AbortController();
        }),
      );
      return [...reports];
    },
  };
}
