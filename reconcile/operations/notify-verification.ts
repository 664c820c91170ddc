import type { DesiredMachine } from '../../src/desired/types.js';
import type { HostPaths } from '../../src/host/paths.js';
import type { Logger } from '../../src/log.js';
import { logTail } from '../../src/notify/log-tail.js';
import type { DeliveryReport } from '../../src/notify/notifier.js';
import { countingNotifier } from './backup-notify.js';

/** The result of one check or drill of one destination, as its receivers hear it. */
export interface VerificationOutcome {
  /** `check` (borg check) or `drill` (a restore of the newest archive, verified). */
  what: 'check' | 'drill';
  destination: string;
  ok: boolean;
  /** One line for people: `storagebox: check passed`, `storagebox: drill failed: …`. */
  summary: string;
  archive?: string;
  durationSeconds?: number;
  warnings?: string[];
  /** The run's log; its end is sent (10 kB). */
  log?: string;
}

/**
 * The hook point for `borgops check` and `borgops drill`: sends a `verification` event (result
 * `success` or `failure`, `failure: check|drill`) to the receivers that want one, bounded by
 * their timeouts like a backup's, failures counted. Never throws; never changes an exit code.
 */
export async function notifyVerification(
  paths: HostPaths,
  desired: Pick<DesiredMachine, 'machine' | 'commit' | 'receivers'>,
  logger: Logger,
  outcome: VerificationOutcome,
): Promise<DeliveryReport[]> {
  const notifier = countingNotifier(paths, desired.receivers, logger);
  notifier.send({
    event: 'verification',
    result: outcome.ok ? 'success' : 'failure',
    ...(outcome.ok ? {} : { failure: outcome.what }),
    machine: desired.machine,
    destination: outcome.destination,
    ...(outcome.archive === undefined ? {} : { archive: outcome.archive }),
    ...(outcome.durationSeconds === undefined ? {} : { durationSeconds: outcome.durationSeconds }),
    warnings: outcome.warnings ?? [],
    ...(desired.commit === undefined ? {} : { commit: desired.commit }),
    summary: outcome.summary,
    log: logTail(outcome.log ?? ''),
    at: new Date().toISOString(),
  });
  return notifier.settle();
}
