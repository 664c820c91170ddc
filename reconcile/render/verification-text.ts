import { formatBytes } from '../../src/util/bytes.js';
import { printableLine } from '../../src/util/printable.js';
import { plural } from '../../src/util/words.js';
import type { VerificationResult, VerificationRun } from '../operations/verification.js';

function resultLines(result: VerificationResult): string[] {
  const verdict = result.ok ? 'passed' : `FAILED (${result.failure?.class ?? 'other'})`;
  const what =
    result.kind === 'check'
      ? `borg check${result.verifyData ? ' --verify-data' : ''}`
      : `drill of ${result.archive ?? 'the newest archive'}`;
  const lines = [`${result.destination}: ${what} ${verdict} in ${result.durationSeconds.toFixed(1)}s`];
  if (result.kind === 'drill' && result.files !== undefined) {
    lines.push(
      `  verified ${plural(result.files ?? 0, 'file')}, ${formatBytes(result.bytes ?? 0)} (size and sha256)`,
    );
  }
  for (const state of result.states ?? []) {
    const script = state.script ? `, ${state.script.name} ${state.script.ok ? 'ok' : 'failed'}` : '';
    lines.push(
      `  ${state.state}: ${state.status}, ${plural(state.files, 'file')}, ${formatBytes(state.bytes)}${script}${state.failure ? ` — ${state.failure.message}` : ''}`,
    );
    for (const warning of state.warnings) lines.push(`    warning: ${warning}`);
  }
  if (!result.ok && result.failure && (result.states ?? []).every((s) => s.status !== 'failed')) {
    lines.push(`  ${result.failure.message}`);
  }
  for (const problem of (result.problems ?? []).slice(0, 10)) lines.push(`  borg: ${problem}`);
  return lines;
}

/** `borgops check` / `borgops drill` for people: one block per destination, the failures named. */
export function renderVerification(run: VerificationRun): string {
  const lines = run.results.flatMap(resultLines);
  const failed = run.results.filter((r) => !r.ok).map((r) => r.destination);
  if (run.interrupted) lines.push('interrupted');
  for (const report of run.notifications.filter((n) => !n.ok)) {
    const about = report.destination === undefined ? '' : ` about ${report.destination}`;
    lines.push(
      `! notification ${report.event}${about} to ${report.receiver} (${report.kind}) failed: ${report.error}`,
    );
  }
  lines.push(
    failed.length === 0 && !run.interrupted
      ? `${run.machine}: every ${run.kind} passed`
      : `${run.machine}: ${run.kind} failed for ${failed.join(', ') || 'the remaining destinations'}`,
  );
  // paths and messages come from the archive and from borg: one line each, nothing for the terminal
  return `${lines.map(printableLine).join('\n')}\n`;
}
