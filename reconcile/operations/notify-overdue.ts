import type { DesiredDestination, DesiredMachine } from '../../src/desired/types.js';
import { readLedger } from '../../src/host/ledger.js';
import { claimOverdueNotices, type OverdueObservation } from '../../src/host/overdue-notices.js';
import type { HostPaths } from '../../src/host/paths.js';
import { type DestinationRun, readRuns } from '../../src/host/runs.js';
import type { NotifyMessage } from '../../src/notify/message.js';
import { formatDuration } from '../../src/util/duration.js';
import { ago } from '../../src/util/words.js';
import { backupClock } from './health.js';
import type { VerificationKind } from './verification.js';
import { verificationHealth } from './verification-health.js';

type Machine = Pick<DesiredMachine, 'machine' | 'commit' | 'receivers'>;

/** One thing that may be overdue, and when it is, what its message says. */
interface Spell extends OverdueObservation {
  destination: string;
  /** `check`, `drill` (a `verification` event), or `backup` (a `fail`). */
  what: VerificationKind | 'backup';
  /** Why it is overdue, in words (present exactly when `since` is). */
  text?: string;
}

/** A scheduled check or drill: overdue by the rule of `status`, /metrics and `BorgVerificationOverdue`. */
function verificationSpell(
  destination: DesiredDestination,
  kind: VerificationKind,
  run: DestinationRun | undefined,
  first: string | undefined,
  now: Date,
): Spell {
  const spell: Spell = { key: `${destination.name}/${kind}`, destination: destination.name, what: kind };
  const health = verificationHealth(destination, kind, run?.[kind], first, now);
  const since = health?.lastSuccess ?? first;
  if (health?.overdue !== true || since === undefined) return spell;
  const last =
    health.lastSuccess === undefined
      ? `no successful ${kind} yet (applied ${ago(now, since)})`
      : `no successful ${kind} since ${health.lastSuccess} (${ago(now, since)})`;
  const attempt =
    health.lastAttempt === undefined
      ? ''
      : `; the last attempt, ${health.lastAttempt}, ${health.ok === false ? `failed (${health.failure ?? 'other'})` : 'passed'}`;
  const expected = formatDuration(health.overdueAfterSeconds ?? 0, 'age');
  return { ...spell, since, text: `${last}; expected within ${expected}${attempt}` };
}

/** A destination's backups: overdue when stale by the rule of Ready's `BackupStale`. */
function backupSpell(
  destination: DesiredDestination,
  run: DestinationRun | undefined,
  first: string | undefined,
  now: Date,
): Spell {
  const spell: Spell = { key: `${destination.name}/backup`, destination: destination.name, what: 'backup' };
  const { maxAge, since, stale } = backupClock(destination, run?.lastSuccess, first, now);
  if (!stale || since === undefined || maxAge === undefined) return spell;
  const last =
    run?.lastSuccess === undefined
      ? `no successful backup yet (applied ${ago(now, since)})`
      : `no successful backup since ${run.lastSuccess} (${ago(now, since)})`;
  const attempt =
    run?.lastAttempt === undefined || run.lastAttempt === run.lastSuccess
      ? ''
      : `; the last attempt, ${run.lastAttempt}${run.error === undefined ? '' : `, failed: ${run.error}`}`;
  return { ...spell, since, text: `${last}; maxAge ${formatDuration(maxAge, 'age')}${attempt}` };
}

/**
 * The messages for what is overdue among `destinations`, each told once per spell
 * (`overdue-notices.json`, claimed under a lock; a success ends a spell, a later one is told again):
 *
 * - a scheduled check or drill with no success for longer than twice its calendar's gap plus the
 *   stagger: a `verification` failure of class `overdue`. `backups create` tells these after each
 *   run: the backup job runs on every machine, with or without the agent;
 * - with `backups` (the agent, which runs whether or not the backup job does), a destination with
 *   no successful backup within its maxAge: a `fail` of class `stale`, for a backup job that
 *   stopped running (a disabled timer, a unit that no longer starts borgops).
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
  const spells = destinations.flatMap((destination) => {
    const first = ledger.destinations?.[destination.name]?.firstAppliedAt;
    const run = runs.destinations[destination.name];
    return [
      ...(verifications
        ? (['check', 'drill'] as const).map((kind) => verificationSpell(destination, kind, run, first, now))
        : []),
      ...(backups ? [backupSpell(destination, run, first, now)] : []),
    ];
  });
  const claimed = await claimOverdueNotices(paths.overdueNotices, spells, now);
  return claimed.map((spell) => messageOf(desired, spell, now));
}

function messageOf(desired: Machine, spell: Spell, now: Date): NotifyMessage {
  const summary = `${desired.machine}/${spell.destination}: ${spell.what} overdue: ${spell.text ?? ''}`;
  const job = spell.what === 'backup' ? 'backups create' : spell.what;
  return {
    ...(spell.what === 'backup'
      ? { event: 'fail', failure: 'stale' }
      : { event: 'verification', verification: spell.what, failure: 'overdue' }),
    result: 'failure',
    machine: desired.machine,
    destination: spell.destination,
    warnings: [],
    ...(desired.commit === undefined ? {} : { commit: desired.commit }),
    summary,
    log: `${summary}\nIs its scheduled job still installed and running (systemctl list-timers 'borgbackup-*', or the agent's embedded schedule)? By hand: borgops ${job} ${desired.machine} --destination ${spell.destination}\n`,
    at: now.toISOString(),
  };
}
