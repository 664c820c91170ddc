import type { CreateProgress } from '../../src/borg/types.js';
import type { HookRun } from '../../src/host/run-hook.js';
import { formatBytes } from '../../src/util/bytes.js';
import { formatDuration } from '../../src/util/duration.js';
import { plural } from '../../src/util/words.js';
import type { DestinationResult } from '../operations/backup-destination.js';
import type { BackupRun } from '../operations/backups-create.js';
import type { RestoreResult, StateRestore } from '../operations/backups-restore.js';

export { formatBytes };

/** The last lines a failed script printed, indented under its failure. */
function outputTail(output: string, lines = 10): string[] {
  const all = output.replace(/\n$/, '').split('\n');
  if (all.length === 1 && all[0] === '') return [];
  return all.slice(-lines).map((line) => `    | ${line}`);
}

/** A script's result line (and a failure's last output lines). */
export function hookLines(hooks: readonly HookRun[]): string[] {
  return hooks.flatMap((hook) =>
    hook.ok
      ? [`✓ ${hook.name} (${formatDuration(hook.durationSeconds, 'elapsed')})`]
      : [`✗ ${hook.name} failed: ${hook.error}`, ...outputTail(hook.output)],
  );
}

/** A destination's result: archive, sizes, retention, warnings; or its failure. */
export function destinationLines(result: DestinationResult): string[] {
  const lines: string[] = [];
  if (result.status === 'created') {
    const stats = result.stats;
    const size = stats
      ? `: ${plural(stats.files, 'file')}, ${formatBytes(stats.originalSize)}, ${formatBytes(stats.deduplicatedSize)} new after deduplication`
      : '';
    const pruned = result.pruned.length > 0 ? `; pruned ${plural(result.pruned.length, 'archive')}` : '';
    const count = result.archives === undefined ? '' : `; ${plural(result.archives, 'archive')} kept`;
    lines.push(
      `✓ ${result.destination}: created ${result.archive}${size} in ${formatDuration(result.durationSeconds, 'elapsed')}${pruned}${count}`,
    );
    if (result.error) lines.push(`✗ ${result.error.message}`);
  } else {
    const left = result.archive === undefined ? '' : ` (${result.archive} left unrenamed)`;
    lines.push(`✗ ${result.error?.message ?? `${result.destination}: ${result.status}`}${left}`);
  }
  for (const warning of result.warnings) lines.push(`  warning: ${warning}`);
  return lines;
}

/** The summary of `backups create`: scripts, then per destination archive, sizes, retention, warnings. */
export function renderBackupRun(run: BackupRun): string {
  const lines = [
    ...hookLines(run.preBackup),
    ...run.destinations.flatMap(destinationLines),
    ...hookLines(run.postBackup),
  ];
  return `${lines.join('\n')}\n${renderBackupSummary(run)}`;
}

/** What follows the result lines printed as they happened: failed notifications and the verdict. */
export function renderBackupSummary(run: BackupRun): string {
  const lines: string[] = [];
  for (const report of run.notifications.filter((n) => !n.ok)) {
    const about = report.destination === undefined ? '' : ` about ${report.destination}`;
    lines.push(
      `! notification ${report.event}${about} to ${report.receiver} (${report.kind}) failed: ${report.error}`,
    );
  }
  const created = run.destinations.filter((d) => d.status === 'created').length;
  const failed = run.destinations.filter((d) => d.status !== 'created' || d.error).map((d) => d.destination);
  const scripts = [...run.preBackup, ...run.postBackup].filter((h) => !h.ok).map((h) => h.name);
  const problems = [
    ...(failed.length > 0 ? [`failed: ${failed.join(', ')}`] : []),
    ...(scripts.length > 0 ? [`scripts failed: ${scripts.join(', ')}`] : []),
  ];
  const verdict = run.interrupted
    ? 'Backup interrupted'
    : problems.length > 0
      ? 'Backup failed'
      : 'Backup complete';
  lines.push(
    `${verdict}: ${created} of ${plural(run.destinations.length, 'destination')} backed up${problems.length > 0 ? ` (${problems.join('; ')})` : ''} in ${formatDuration(run.durationSeconds, 'elapsed')}.`,
  );
  return `${lines.join('\n')}\n`;
}

function stateLines(result: StateRestore, dryRun: boolean): string[] {
  const lines: string[] = [];
  const folders = result.folders.join(', ');
  if (result.status === 'restored') lines.push(`✓ ${result.state}: restored ${folders}`);
  else if (result.status === 'would-restore') {
    const scripts = result.scripts.length > 0 ? `, running ${result.scripts.join(' and ')}` : '';
    lines.push(`• ${result.state}: would restore ${folders}${scripts}`);
  } else if (result.status === 'skipped') lines.push(`- ${result.state}: skipped`);
  else lines.push(`✗ ${result.state}: ${result.error ?? result.status}`);
  if (!dryRun) {
    for (const hook of result.hooks.filter((h) => !h.ok)) lines.push(...outputTail(hook.output));
  }
  for (const warning of result.warnings) lines.push(`  warning: ${warning}`);
  return lines;
}

/** The summary of `backups restore` (and of its --dry-run). */
export function renderRestore(result: RestoreResult): string {
  const where = result.inPlace ? `in place under ${result.into}` : `into ${result.into} (no script run)`;
  const lines = [
    `${result.dryRun ? 'Would restore' : 'Restoring'} ${result.archive} from ${result.destination} ${where}:`,
    ...result.results.flatMap((state) => stateLines(state, result.dryRun)),
  ];
  const failed = result.results.filter((r) => r.status === 'failed' || r.status === 'interrupted');
  if (!result.dryRun) {
    const restored = result.results.filter((r) => r.status === 'restored').length;
    const verdict = result.interrupted
      ? 'Restore interrupted'
      : failed.length > 0
        ? 'Restore failed'
        : 'Restore complete';
    const named = failed.length > 0 ? ` (failed: ${failed.map((r) => r.state).join(', ')})` : '';
    lines.push(`${verdict}: ${restored} of ${plural(result.results.length, 'state')} restored${named}.`);
  } else if (failed.length > 0) {
    lines.push(`Dry run found problems in: ${failed.map((r) => r.state).join(', ')}.`);
  }
  return `${lines.join('\n')}\n`;
}

/** One terminal line of borg's progress: files, bytes, current path (cut to fit). */
export function progressLine(destination: string, progress: CreateProgress, width: number): string {
  const head = `${destination}: ${plural(progress.files, 'file')}, ${formatBytes(progress.originalSize)}`;
  const room = width - head.length - 3;
  const path = progress.path ?? '';
  if (path === '' || room < 8) return head.slice(0, width - 1);
  return `${head}, ${path.length > room ? `…${path.slice(-(room - 1))}` : path}`;
}
