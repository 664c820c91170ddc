import { loadDeclarations } from '../../src/config/load.js';
import { compile } from '../../src/desired/compile.js';
import type { DesiredDestination } from '../../src/desired/types.js';
import { isBorgopsError } from '../../src/errors.js';
import { readApplied } from '../../src/host/applied.js';
import type { HostPaths } from '../../src/host/paths.js';
import { readRuns } from '../../src/host/runs.js';
import { readStatus } from '../../src/host/status.js';
import { type HealthReport, healthReport } from '../health.js';
import { listSchedules } from './schedule-list.js';

/** The destinations of the applied declarations (what is in force on this machine), if any. */
export async function appliedDestinations(paths: HostPaths, machine: string): Promise<DesiredDestination[]> {
  const applied = await readApplied(paths.applied);
  if (!applied) return [];
  const { declarations } = loadDeclarations(new Map(Object.entries(applied.files)), applied.commit);
  if (!declarations) return [];
  if (!declarations.machines.includes(machine)) return [];
  return compile(declarations, machine).destinations;
}

/** Each destination's next scheduled run, as `schedule list` computes it; empty when nothing is applied. */
async function nextRuns(paths: HostPaths, machine: string, now: Date): Promise<Map<string, Date>> {
  const runs = new Map<string, Date>();
  try {
    const list = await listSchedules({ machine, root: paths.root, stateDir: paths.stateDir, now });
    for (const job of list.jobs) if (job.nextRun !== null) runs.set(job.destination, new Date(job.nextRun));
  } catch (error: unknown) {
    if (!isBorgopsError(error)) throw error;
  }
  return runs;
}

/** The machine's health from the state directory alone (no git, no borg): status, runs, applied declarations, jobs. */
export async function machineHealth(paths: HostPaths, machine: string, now: Date): Promise<HealthReport> {
  const [status, runs, destinations, next] = await Promise.all([
    readStatus(paths.status),
    readRuns(paths.runs),
    appliedDestinations(paths, machine),
    nextRuns(paths, machine, now),
  ]);
  return healthReport({
    machine,
    status,
    runs,
    destinations,
    now,
    nextRun: (destination) => next.get(destination.name),
  });
}

function ago(now: Date, at: string): string {
  const seconds = Math.max(0, (now.getTime() - Date.parse(at)) / 1000);
  if (seconds < 120) return `${Math.round(seconds)}s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m ago`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h ago`;
  return `${Math.round(seconds / 86_400)}d ago`;
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
      `  last reconcile: ${report.lastAttempt.result} ${ago(now, report.lastAttempt.at)} (${report.lastAttempt.actions} actions)`,
    );
  }
  for (const d of report.destinations) {
    const parts = [
      d.lastSuccess ? `last success ${ago(now, d.lastSuccess)}` : 'never backed up',
      ...(d.archives === undefined ? [] : [`${d.archives} archives`]),
      ...(d.nextRun ? [`next run ${d.nextRun}`] : []),
      ...(d.stale ? ['STALE'] : []),
      ...(d.lastError ? [`last error: ${d.lastError}`] : []),
    ];
    lines.push(`  ${d.name}: ${parts.join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}
