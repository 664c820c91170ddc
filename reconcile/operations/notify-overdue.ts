import type { DesiredDestination, DesiredMachine } from '../../src/desired/types.js';
import { readLedger } from '../../src/host/ledger.js';
import { claimOverdueNotices, type OverdueObservation } from '../../src/host/overdue-notices.js';
import type { HostPaths } from '../../src/host/paths.js';
import { readRuns } from '../../src/host/runs.js';
import type { NotifyMessage } from '../../src/notify/message.js';
import { formatDuration } from '../../src/util/duration.js';
import { maxAgeOf } from './health.js';
import type { VerificationKind } from './verification.js';
import { verificationHealth } from './verification-health.js';

type Machine = Pick<DesiredMachine, 'machine' | 'commit' | 'receivers'>;

const KINDS: readonly VerificationKind[] = ['check', 'drill'];

/** What is overdue, told once per spell: a check or drill (`verification`), or a backup (`fail`). */
type Overdue =
  | { what: 'verification'; destination: string; kind: VerificationKind; text: string }
  | { what: 'backup'; destination: string; text: string };

const ago = (now: Date, since: string) => formatDuration((now.getTime() - Date.parse(since)) / 1000, 'ago');

/**
 * The messages for what is overdue among `destinations`, each told once per spell
 * (`overdue-notices.json`, claimed under a lock; a success ends a spell, a later one is told again):
 *
 * - a scheduled check or drill with no success for longer than twice its calendar's gap plus the
 *   stagger (the rule of `status`, /metrics and the `BorgVerificationOverdue` alert): a
 *   `verification` failure of class `overdue`. `backups create` tells these after each run: the
 *   backup job runs on every machine, with or without the agent;
 * - with `backups` (the agent, which runs whether or not the backup job does), a destination with
 *   no successful backup within its maxAge (`BackupStale`): a `fail` of class `stale`, for a
 *   backup job that stopped running (a disabled timer, a unit that no longer starts borgops).
 */
export async function overdueMessages(
  paths: HostPaths,
  desired: Machine,
  destinations: readonly DesiredDestination[],
  now: Date,
  options: { backups?: boolean } = {},
): Promise<NotifyMessage[]> {
  const wants = (event: 'verification' | 'fail') =>
    desired.receivers.some((receiver) => receiver.on.includes(event));
  const verifications = wants('verification');
  const backups = options.backups === true && wants('fail');
  // no receiver wants it: nothing to read or write
  if (!verifications && !backups) return [];
  const [runs, ledger] = await Promise.all([readRuns(paths.runs), readLedger(paths.ledger)]);
  const observations: OverdueObservation[] = [];
  const details = new Map<string, Overdue>();
  for (const destination of destinations) {
    const first = ledger.destinations?.[destination.name]?.firstAppliedAt;
    const run = runs.destinations[destination.name];
    for (const kind of verifications ? KINDS : []) {
      const health = verificationHealth(destination, kind, run?.[kind], first, now);
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
          ? `no successful ${kind} yet (applied ${ago(now, since)})`
          : `no successful ${kind} since ${health.lastSuccess} (${ago(now, since)})`;
      const attempt =
        health.lastAttempt === undefined
          ? ''
          : `; the last attempt, ${health.lastAttempt}, ${health.ok === false ? `failed (${health.failure ?? 'other'})` : 'passed'}`;
      details.set(key, {
        what: 'verification',
        destination: destination.name,
        kind,
        text: `${last}; expected within ${expected}${attempt}`,
      });
    }
    if (backups) {
      const key = `${destination.name}/backup`;
      const maxAge = maxAgeOf(destination, now);
      const since = run?.lastSuccess ?? first;
      if (maxAge === undefined || since === undefined || now.getTime() - Date.parse(since) <= maxAge * 1000) {
        observations.push({ key });
        continue;
      }
      observations.push({ key, since });
      const last =
        run?.lastSuccess === undefined
          ? `no successful backup yet (applied ${ago(now, since)})`
          : `no successful backup since ${run.lastSuccess} (${ago(now, since)})`;
      const attempt =
        run?.lastAttempt === undefined || run.lastAttempt === run.lastSuccess
          ? ''
          : `; the last attempt, ${run.lastAttempt}${run.error === undefined ? '' : `, failed: ${run.error}`}`;
      details.set(key, {
        what: 'backup',
        destination: destination.name,
        text: `${last}; maxAge ${formatDuration(maxAge, 'age')}${attempt}`,
      });
    }
  }
  const claimed = await claimOverdueNotices(paths.overdueNotices, observations, now);
  return claimed.flatMap((key) => {
    const detail = details.get(key);
    return detail === undefined ? [] : [messageOf(desired, detail, now)];
  });
}

function messageOf(desired: Machine, overdue: Overdue, now: Date): NotifyMessage {
  const what = overdue.what === 'backup' ? 'backup' : overdue.kind;
  const summary = `${desired.machine}/${overdue.destination}: ${what} overdue: ${overdue.text}`;
  const job = overdue.what === 'backup' ? 'backups create' : overdue.kind;
  return {
    ...(overdue.what === 'backup'
      ? { event: 'fail', failure: 'stale' }
      : { event: 'verification', verification: overdue.kind, failure: 'overdue' }),
    result: 'failure',
    machine: desired.machine,
    destination: overdue.destination,
    warnings: [],
    ...(desired.commit === undefined ? {} : { commit: desired.commit }),
    summary,
    log: `${summary}\nIs its scheduled job still installed and running (systemctl list-timers 'borgbackup-*', or the agent's embedded schedule)? By hand: borgops ${job} ${desired.machine} --destination ${overdue.destination}\n`,
    at: now.toISOString(),
  };
}
