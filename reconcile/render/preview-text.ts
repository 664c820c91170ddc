import { formatProblem } from '../../src/config/problem.js';
import { redactUrl } from '../../src/log.js';
import { printableTerminal } from '../../src/util/printable.js';
import { settingWords } from '../engine/describe/settings.js';
import type { MachinePreview, PreviewReport } from '../preview/model.js';
import { CHANGE_SYMBOL, countsWords, diffLines, machinesInOrder, plural } from './preview-common.js';

export interface PreviewTextOptions {
  color: boolean;
}

const colors = { added: 32, changed: 33, removed: 31 } as const;

function paint(options: PreviewTextOptions, code: number, text: string): string {
  return options.color ? `\u001b[${code}m${text}\u001b[0m` : text;
}

function machineLines(machine: MachinePreview, options: PreviewTextOptions): string[] {
  const backend = machine.scheduler === undefined ? '' : `, scheduler ${machine.scheduler}`;
  const lines = [`${machine.machine} (${machine.status}${backend}): ${countsWords(machine.counts)}`];
  const width = Math.max(0, ...machine.changes.map((c) => c.id.length));
  for (const change of machine.changes) {
    const symbol = paint(options, colors[change.change], CHANGE_SYMBOL[change.change]);
    const mark = change.destructive ? ' [destructive]' : '';
    lines.push(`  ${symbol} ${change.id.padEnd(width)}  ${change.summary}${mark}`);
    for (const setting of change.settings) lines.push(`      ${settingWords(setting)}`);
    for (const file of change.files) lines.push(...diffLines(file.diff).map((line) => `      ${line}`));
  }
  for (const prune of machine.prunes) {
    const anyway = prune.dueAnyway > 0 ? `, ${prune.dueAnyway} of them due under the base rules too` : '';
    lines.push(
      `  archives pruned on ${prune.destination}: ${prune.pruned.length} of ${prune.total} (${prune.kept} kept${anyway}; at ${prune.at})`,
      ...prune.pruned.map((name) => `      - ${name}`),
    );
  }
  for (const refusal of machine.refusals) lines.push(`  ✗ refused (${refusal.guard}): ${refusal.message}`);
  for (const note of machine.notes) lines.push(`  · ${note}`);
  for (const warning of machine.warnings) lines.push(`  ! ${warning}`);
  return lines;
}

/** The preview for a terminal: every machine that changes, every diff and archive in full. */
export function renderPreviewText(report: PreviewReport, options: PreviewTextOptions): string {
  const base = report.base.commit.slice(0, 12);
  const head = report.head.commit.slice(0, 12);
  const lines = [`borgops preview ${base} → ${head} (scheduler ${report.scheduler})`, ''];
  if (!report.head.valid) {
    const errors = report.problems.filter((p) => p.severity === 'error').length;
    lines.push(`The declarations at ${head} are invalid (${plural(errors, 'error')}):`);
    lines.push(...report.problems.map((p) => `  ${redactUrl(formatProblem(p))}`), '');
    return printableTerminal(`${lines.join('\n')}\n`);
  }
  if (!report.base.valid) {
    lines.push(
      `The declarations at ${base} are invalid (${plural(report.base.errors, 'error')}): compared as if they declared nothing.`,
      '',
    );
  }
  for (const machine of machinesInOrder(report.machines)) lines.push(...machineLines(machine, options), '');
  const warnings = report.problems.filter((p) => p.severity === 'warning');
  if (warnings.length > 0) lines.push('Warnings:', ...warnings.map((p) => `  ${formatProblem(p)}`), '');
  const { summary } = report;
  if (report.machines.length === 0) {
    lines.push(`No changes: ${head} does the same as ${base} on all ${plural(summary.machines, 'machine')}.`);
  } else {
    lines.push(
      `Preview: changes on ${summary.changed} of ${plural(summary.machines, 'machine')}: ${countsWords(summary)}.`,
    );
    if (summary.refusals > 0)
      lines.push(
        `${plural(summary.refusals, 'safety guard refusal')}: apply exits 3 on those machines unless allowed.`,
      );
    const { added, removed } = summary.expectedSeries;
    if (added > 0 || removed > 0)
      lines.push(
        `Prometheus: +${added} / −${removed} expected series (regenerate with borgops fleet targets).`,
      );
  }
  // data (paths, scripts, files found on a machine) never drives the terminal; only our colours stay
  return printableTerminal(`${lines.join('\n')}\n`);
}
