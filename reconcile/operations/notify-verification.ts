import type { DesiredMachine } from '../../src/desired/types.js';
import type { HostPaths } from '../../src/host/paths.js';
import type { VerificationRecord } from '../../src/host/runs.js';
import type { Logger } from '../../src/log.js';
import { logTail } from '../../src/notify/log-tail.js';
import type { NotifyMessage } from '../../src/notify/message.js';
import type { DeliveryReport } from '../../src/notify/notifier.js';
import { formatBytes } from '../../src/util/bytes.js';
import { countingNotifier } from './backup-notify.js';
import type { VerificationResult } from './verification.js';

/** The result of one check or drill of one destination, as its receivers hear it. */
export interface VerificationOutcome {
  /** `check` (borg check) or `drill` (a restore of the newest archive, verified). */
  what: 'check' | 'drill';
  destination: string;
  ok: boolean;
  /** Why it failed, by class (`corrupt`, `stale`, `mismatch`, `verify-script`, borg's `unreachable`…). */
  failure?: string;
  /** One line for people: `storagebox: check passed`, `storagebox: drill failed: …`. */
  summary: string;
  archive?: string;
  durationSeconds?: number;
  warnings?: string[];
  /** The run's log; its end is sent (10 kB). */
  log?: string;
}

type Machine = Pick<DesiredMachine, 'machine' | 'commit' | 'receivers'>;

/** The `verification` message of an outcome: result `success` or `failure`, the failure's class. */
export function verificationMessage(desired: Machine, outcome: VerificationOutcome): NotifyMessage {
  return {
    event: 'verification',
    verification: outcome.what,
    result: outcome.ok ? 'success' : 'failure',
    ...(outcome.ok ? {} : { failure: outcome.failure ?? 'other' }),
    machine: desired.machine,
    destination: outcome.destination,
    ...(outcome.archive === undefined ? {} : { archive: outcome.archive }),
    ...(outcome.durationSeconds === undefined ? {} : { durationSeconds: outcome.durationSeconds }),
    warnings: outcome.warnings ?? [],
    ...(desired.commit === undefined ? {} : { commit: desired.commit }),
    summary: outcome.summary,
    log: logTail(outcome.log ?? ''),
    at: new Date().toISOString(),
  };
}

function resultLog(result: VerificationResult): string[] {
  const lines: string[] = [];
  if (result.kind === 'drill' && result.archive !== undefined) lines.push(`archive ${result.archive}`);
  if (result.files !== undefined && result.kind === 'drill') {
    lines.push(`verified ${result.files} files, ${formatBytes(result.bytes ?? 0)} (size and sha256)`);
  }
  for (const state of result.states ?? []) {
    lines.push(`${state.state}: ${state.status}${state.failure ? `: ${state.failure.message}` : ''}`);
    for (const warning of state.warnings) lines.push(`  warning: ${warning}`);
    const output = state.script?.output.replace(/\n$/, '') ?? '';
    if (state.script && output !== '') lines.push(...output.split('\n').map((line) => `  | ${line}`));
  }
  for (const problem of result.problems ?? []) lines.push(`borg: ${problem}`);
  if (result.failure) lines.push(result.failure.message);
  return lines;
}

/**
 * A check's or drill's result as its receivers hear it. `before` is the record it replaced in
 * runs.json: a pass after a failure says it is a recovery.
 */
export function outcomeOf(
  machine: string,
  result: VerificationResult,
  before: VerificationRecord | undefined,
): VerificationOutcome {
  const what =
    result.kind === 'check' ? `check${result.verifyData === true ? ' --verify-data' : ''}` : 'drill';
  const recovered = result.ok && before !== undefined && !before.ok;
  const summary = result.ok
    ? `${machine}/${result.destination}: ${what} passed${recovered ? ` again (the last one failed: ${before.failure ?? 'other'})` : ''}`
    : `${machine}/${result.destination}: ${what} failed (${result.failure?.class ?? 'other'}): ${result.failure?.message ?? ''}`;
  return {
    what: result.kind,
    destination: result.destination,
    ok: result.ok,
    ...(result.failure === undefined ? {} : { failure: result.failure.class }),
    summary,
    ...(result.archive === undefined ? {} : { archive: result.archive }),
    durationSeconds: result.durationSeconds,
    warnings: (result.states ?? []).flatMap((state) => state.warnings),
    log: `${[`borgops ${what} ${machine} --destination ${result.destination}, started ${result.startedAt}`, ...resultLog(result)].join('\n')}\n`,
  };
}

/**
 * The hook point for `borgops check` and `borgops drill` (and their scheduled jobs): sends a
 * `verification` event (result `success` or `failure`, the failure's class) to the receivers that
 * want one, bounded by their timeouts like a backup's, failures counted. Never throws; never
 * changes an exit code.
 */
export async function notifyVerification(
  paths: HostPaths,
  desired: Machine,
  logger: Logger,
  outcomes: VerificationOutcome | readonly VerificationOutcome[],
): Promise<DeliveryReport[]> {
  const notifier = countingNotifier(paths, desired.receivers, logger);
  const list: readonly VerificationOutcome[] = 'what' in outcomes ? [outcomes] : outcomes;
  for (const outcome of list) notifier.send(verificationMessage(desired, outcome));
  return notifier.settle();
}
