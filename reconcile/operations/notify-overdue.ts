import type { DesiredDestination, DesiredMachine } from '../../src/desired/types.js';
import { readLedger } from '../../src/host/ledger.js';
import { claimOverdueNotices, type OverdueObservation } from '../../src/host/overdue-notices.js';
import type { HostPaths } from '../../src/host/paths.js';
import { readRuns } from '../../src/host/runs.js';
import type { NotifyMessage } from '../../src/notify/message.js';
import { formatDuration } from '../../src/util/duration.js';
import type { VerificationKind } from './verification.js';
import { verificationHealth } from './verification-health.js';

type Machine = Pick<DesiredMachine, 'machine' | 'commit' | 'receivers'>;

const KINDS: readonly VerificationKind[] = ['check', 'drill'];

/**
 * The `verification` messages (result `failure`, class `overdue`) for the scheduled checks and
 * drills of `destinations` that have had no success for longer than twice their calendar's gap
 * plus the stagger: the same rule as `status`, /metrics and the `BorgVerificationOverdue`
 * alert. Each overdue spell is told once (`overdue-notices.json`); a success ends it.
 *
 * Run after each `backups create`: the backup job runs on every machine, with or without the
 * agent, so a check or drill whose job stopped running is told while backups go on.
 */
export async function overdueVerificationMessages(
  paths: HostPaths,
  desired: Machine,
  destinations: readonly DesiredDestination[],
  now: Date,
): Promise<NotifyMessage[]> {
  // no receiver wants it: nothing to read or write
  if (!desired.receivers.some((receiver) => receiver.on.includes('verification'))) return [];
  const [runs, ledger] = await Promise.all([readRuns(paths.runs), readLedger(paths.ledger)]);
  const observations: OverdueObservation[] = [];
  const details = new Map<string, { destination: string; kind: VerificationKind; text: string }>();
  for (const destination of destinations) {
    const first = ledger.destinations?.[destination.name]?.firstAppliedAt;
    for (const kind of KINDS) {
      const record = runs.destinations[destination.name]?.[kind];
      const health = verificationHealth(destination, kind, record, first, now);
      const key = `${destination.name}/${kind}`;
      const since = health?.lastSuccess ?? first;
      if (health?.overdue !== true || since === undefined) {
        observations.push({ key });
        continue;
      }
      observations.push({ key, since });
      const expected = formatDuration(health.overdueAfterSeconds ?? 0, 'age');
      const last =
        health.lastSuccess === undefined
          ? `no successful ${kind} yet (applied ${formatDuration((now.getTime() - Date.parse(since)) / 1000, 'ago')})`
          : `no successful ${kind} since ${health.lastSuccess} (${formatDuration((now.getTime() - Date.parse(since)) / 1000, 'ago')})`;
      const attempt =
        health.lastAttempt === undefined
          ? ''
          : `; the last attempt, ${health.lastAttempt}, ${health.ok === false ? `failed (${health.failure ?? 'other'})` : 'passed'}`;
      details.set(key, {
        destination: destination.name,
        kind,
        text: `${last}; expected within ${expected}${attempt}`,
      });
    }
  }
  const claimed = await claimOverdueNotices(paths.overdueNotices, observations, now);
  return claimed.flatMap((key) => {
    const detail = details.get(key);
    if (detail === undefined) return [];
    const summary = `${desired.machine}/${detail.destination}: ${detail.kind} overdue: ${detail.text}`;
    return [
      {
        event: 'verification',
        verification: detail.kind,
        result: 'failure',
        failure: 'overdue',
        machine: desired.machine,
        destination: detail.destination,
        warnings: [],
        ...(desired.commit === undefined ? {} : { commit: desired.commit }),
        summary,
        log: `${summary}\nIs its scheduled job still installed and running (systemctl list-timers 'borgbackup-*', or the agent's embedded schedule)? By hand: borgops ${detail.kind} ${desired.machine} --destination ${detail.destination}\n`,
        at: now.toISOString(),
      } satisfies NotifyMessage,
    ];
  });
}
