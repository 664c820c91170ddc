// operations/: what a person asks of one machine (backups, status, health, schedules); built on
// engine/, never on preview/, render/, agent/ or cli/ (ARCHITECTURE.md).
import { isBorgopsError } from '../../src/errors.js';
import { readLedger } from '../../src/host/ledger.js';
import { readNotifyFailures } from '../../src/host/notify-failures.js';
import type { HostPaths } from '../../src/host/paths.js';
import { readRuns } from '../../src/host/runs.js';
import { readStatus } from '../../src/host/status.js';
import { formatBytes } from '../../src/util/bytes.js';
import { localTime } from '../../src/util/local-time.js';
import { ago, plural } from '../../src/util/words.js';
import { type AppliedMachine, appliedMachine } from './applied-machine.js';
import { type HealthReport, healthReport } from './health.js';
import { listSchedules } from './schedule-list.js';
import { servedHealth } from './served.js';

/** The declarations applied on this host for `machine`; undefined when none are (or another machine's are). */
async function applied(paths: HostPaths, machine: string): Promise<AppliedMachine | undefined> {
  try {
    return await appliedMachine(paths, machine);
  } catch (error: unknown) {
    // none applied, or applied for another machine; a state file that cannot be read is an error
    if (isBorgopsError(error) && error.code !== 'E_HOST') return undefined;
    throw error;
  }
}

/**
 * The machine's health from the state directory alone (no git, no borg): status, runs, and the
 * applied declarations with their jobs' next runs (loaded and compiled once per request).
 */
export async function machineHealth(
  paths: HostPaths,
  machine: string,
  now: Date,
  options: { recordServed?: boolean } = {},
): Promise<HealthReport> {
  const [status, runs, ledger, inForce, notify] = await Promise.all([
    readStatus(paths.status),
    readRuns(paths.runs),
    readLedger(paths.ledger),
    applied(paths, machine),
    readNotifyFailures(paths.notify),
  ]);
  const next = new Map<string, Date>();
  if (inForce) {
    const list = await listSchedules({
      machine,
      paths,
      now,
      applied: inForce,
    });
    for (const job of list.jobs) if (job.nextRun !== null) next.set(job.destination, new Date(job.nextRun));
  }
  const served =
    inForce === undefined || inForce.desired.served.length === 0
      ? undefined
      : await servedHealth({
          paths,
          server: machine,
          declarations: inForce.declarations,
          served: inForce.desired.served,
          now,
          record: options.recordServed ?? false,
        });
  return healthReport({
    machine,
    status,
    runs,
    firstApplied: Object.fromEntries(
      Object.entries(ledger.destinations ?? {}).map(([name, clock]) => [name, clock.firstAppliedAt]),
    ),
    destinations: inForce?.desired.destinations ?? [],
    now,
    nextRun: (destination) => next.get(destination.name),
    notifyFailures: Object.fromEntries(
      Object.entries(notify.failures).map(([receiver, failure]) => [receiver, failure.count]),
    ),
    ...(served === undefined ? {} : { served }),
  });
}

export function formatHealth(report: HealthReport, now: Date): string {
  const [ready, stalled] = report.conditions;
  const lines = [
    `${report.machine}: ${ready?.status ? 'Ready' : 'Not ready'} (${ready?.reason}) — ${ready?.message}`,
    `  applied: ${report.appliedCommit ? `${report.appliedCommit.slice(0, 12)} at ${report.appliedAt}` : 'nothing yet'}`,
  ];
  if (stalled?.status) lines.push(`  stalled: ${stalled.reason}: ${stalled.message}`);
  if (report.lastAttempt) {
    lines.push(
      `  last reconcile: ${report.lastAttempt.result} ${ago(now, report.lastAttempt.at)} (${plural(report.lastAttempt.actions, 'action')})`,
    );
    for (const warning of report.lastAttempt.warnings ?? []) lines.push(`  warning: ${warning}`);
  }
  for (const d of report.destinations) {
    const parts = [
      d.lastSuccess ? `last success ${ago(now, d.lastSuccess)}` : 'never backed up',
      ...(d.archives === undefined ? [] : [plural(d.archives, 'archive')]),
      ...(d.nextRun ? [`next run ${localTime(d.nextRun)}`] : []),
      ...(d.stale ? ['STALE'] : []),
      ...(d.lastError ? [`last error: ${d.lastError}`] : []),
      ...(['check', 'drill'] as const).flatMap((kind) => {
        const health = d[kind];
        if (health === undefined) return [];
        const last =
          health.ok === undefined
            ? `no ${kind} yet`
            : health.ok
              ? `${kind} passed ${ago(now, health.lastAttempt ?? '')}`
              : `${kind} FAILED ${ago(now, health.lastAttempt ?? '')} (${health.failure})`;
        return [`${last}${health.overdue ? `, ${kind} OVERDUE` : ''}`];
      }),
    ];
    lines.push(`  ${d.name}: ${parts.join(', ')}`);
  }
  for (const s of report.served ?? []) {
    const parts = [
      s.lastWrite ? `last write ${ago(now, s.lastWrite)}` : 'never written',
      ...(s.transaction === undefined ? [] : [`transaction ${s.transaction}`]),
      formatBytes(s.bytes),
      ...(s.quotaBytes === undefined
        ? []
        : [`quota ${formatBytes(s.quotaUseBytes ?? s.bytes)} of ${formatBytes(s.quotaBytes)}`]),
      ...(s.growthBytes === undefined || s.growthBytes === 0
        ? []
        : [`${s.growthBytes > 0 ? 'grew' : 'SHRANK'} ${formatBytes(Math.abs(s.growthBytes))}`]),
      ...(s.appendOnly ? ['append-only'] : []),
      ...(s.pendingDeletions ? [`${s.pendingDeletions} pending deletions`] : []),
      ...(s.stale ? ['STALE'] : []),
      ...(s.problem ? [s.problem] : []),
    ];
    lines.push(`  served ${s.client} (${s.instance}, ${s.path}): ${parts.join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}
