import { loadDeclarations } from '../../src/config/load.js';
import { compile } from '../../src/desired/compile.js';
import type { DesiredDestination } from '../../src/desired/types.js';
import { readApplied } from '../../src/host/applied.js';
import type { HostPaths } from '../../src/host/paths.js';
import { readRuns } from '../../src/host/runs.js';
import { readStatus } from '../../src/host/status.js';
import { type HealthReport, healthReport } from '../health.js';

/** The destinations of the applied declarations (what is in force on this machine), if any. */
export async function appliedDestinations(paths: HostPaths, machine: string): Promise<DesiredDestination[]> {
  const applied = await readApplied(paths.applied);
  if (!applied) return [];
  const { declarations } = loadDeclarations(new Map(Object.entries(applied.files)), applied.commit);
  if (!declarations) return [];
  if (!declarations.machines.includes(machine)) return [];
  return compile(declarations, machine).destinations;
}

/** The machine's health from the state directory alone (no git, no borg): status, runs, applied declarations. */
export async function machineHealth(
  paths: HostPaths,
  machine: string,
  now: Date,
  nextRun?: (destination: DesiredDestination) => Date | undefined,
): Promise<HealthReport> {
  const [status, runs, destinations] = await Promise.all([
    readStatus(paths.status),
    readRuns(paths.runs),
    appliedDestinations(paths, machine),
  ]);
  return healthReport({ machine, status, runs, destinations, now, ...(nextRun ? { nextRun } : {}) });
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
