import type { ResolvedReceiver } from '../../src/config/notify.js';
import { BorgopsError } from '../../src/errors.js';
import type { HostPaths } from '../../src/host/paths.js';
import type { Logger } from '../../src/log.js';
import { type NotifyMessage, wants } from '../../src/notify/message.js';
import { createNotifier, type DeliveryReport } from '../../src/notify/notifier.js';
import { appliedMachine, findDestination } from './applied-machine.js';

export interface NotifyTestResult {
  machine: string;
  commit?: string;
  destination?: string;
  /** One per declared receiver: what it answered, or why it was not asked. */
  receivers: (Omit<DeliveryReport, 'receiver' | 'kind' | 'event'> & {
    receiver: string;
    kind: ResolvedReceiver['kind'];
    sent: boolean;
    skipped?: string;
  })[];
}

/**
 * `borgops notify test`: a `test` event to every receiver of the applied declarations (those that
 * listen to `destination`, when one is named), one attempt each, answers reported. healthchecks
 * receivers get `/log`, which records the event without changing the check's state.
 */
export async function testNotifications(options: {
  paths: HostPaths;
  logger: Logger;
  machine?: string;
  destination?: string;
}): Promise<NotifyTestResult> {
  const { desired, commit } = await appliedMachine(options.paths, options.machine);
  if (options.destination !== undefined) findDestination(desired, options.destination);
  if (desired.receivers.length === 0) {
    throw new BorgopsError(
      'E_USAGE',
      `machine ${desired.machine} declares no notification receivers (settings.notify) in the applied declarations`,
    );
  }
  const about = options.destination === undefined ? '' : ` about destination ${options.destination}`;
  const message: NotifyMessage = {
    event: 'test',
    result: 'test',
    machine: desired.machine,
    ...(options.destination === undefined ? {} : { destination: options.destination }),
    ...(commit === undefined ? {} : { commit }),
    warnings: [],
    summary: `${desired.machine}: borgops test notification${about}`,
    log: '',
    at: new Date().toISOString(),
  };
  const notifier = createNotifier({
    receivers: desired.receivers,
    logger: options.logger,
    retryDelaysMs: [],
  });
  notifier.send(message);
  const reports = await notifier.settle();
  return {
    machine: desired.machine,
    ...(commit === undefined ? {} : { commit }),
    ...(options.destination === undefined ? {} : { destination: options.destination }),
    receivers: desired.receivers.map((receiver) => {
      const report = reports.find((r) => r.receiver === receiver.name);
      if (!wants(receiver, message) || report === undefined) {
        return {
          receiver: receiver.name,
          kind: receiver.kind,
          sent: false,
          ok: false,
          attempts: 0,
          skipped: `listens to ${receiver.destinations?.join(', ') ?? 'every destination'} only`,
        };
      }
      const { event: _event, ...rest } = report;
      return { ...rest, sent: true };
    }),
  };
}
