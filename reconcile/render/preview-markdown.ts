import { formatProblem } from '../../src/config/problem.js';
import { redactUrl } from '../../src/log.js';
import { printableText } from '../../src/util/printable.js';
import { settingWords } from '../engine/describe/settings.js';
import type { MachinePreview, PreviewReport, ResourceChange } from '../preview/model.js';
import { code, escapeMarkdown, fenced, fitLines, limited, size } from './markdown.js';
import {
  CHANGE_SYMBOL,
  countsWords,
  diffLines,
  machinesInOrder,
  plural,
  truncateMiddle,
} from './preview-common.js';

/** The first line of every preview comment: CI finds its earlier comment by it and updates it. */
export const PREVIEW_MARKER = '<!-- borgops-preview -->';

/** GitHub refuses a comment over 65,536 characters; stay a little under it. */
export const DEFAULT_MAX_LENGTH = 65_000;

export interface PreviewMarkdownOptions {
  /** In UTF-8 bytes, so the limit holds however the receiver counts (bytes ≥ code points ≥ characters). */
  maxLength?: number;
}

/** How much of a machine to show: the first level that fits its share of the comment is used. */
interface Detail {
  diffs: boolean;
  diffLines: number;
  changes: number;
  settings: number;
  archives: number;
  notes: number;
}

const LEVELS: readonly Detail[] = [
  { diffs: true, diffLines: 60, changes: 500, settings: 100, archives: 200, notes: 50 },
  { diffs: true, diffLines: 16, changes: 100, settings: 20, archives: 30, notes: 20 },
  { diffs: false, diffLines: 0, changes: 40, settings: 4, archives: 10, notes: 10 },
  { diffs: false, diffLines: 0, changes: 10, settings: 1, archives: 3, notes: 3 },
];

function capped<T>(items: readonly T[], max: number, render: (item: T) => string, what: string): string[] {
  const shown = items.slice(0, max).map(render);
  if (items.length > max) shown.push(`… and ${items.length - max} more ${what}`);
  return shown;
}

function changeItem(change: ResourceChange, detail: Detail): string {
  const mark = change.destructive ? ' · **destructive**' : '';
  const lines = [
    `- ${code(`${CHANGE_SYMBOL[change.change]} ${change.id}`)} ${escapeMarkdown(change.summary)}${mark}`,
  ];
  lines.push(
    ...capped(change.settings, detail.settings, (s) => `  - ${settingWords(s, code)}`, 'settings').map(
      (line) => (line.startsWith('…') ? `  - ${line}` : line),
    ),
  );
  if (!detail.diffs) {
    for (const file of change.files)
      lines.push(`  - diff of ${code(file.path)}: +${file.added} −${file.removed} lines (not shown)`);
  }
  return lines.join('\n');
}

function diffBlocks(changes: readonly ResourceChange[], detail: Detail): string[] {
  if (!detail.diffs) return [];
  return changes.flatMap((change) =>
    change.files.map(
      (file) =>
        `${code(file.path)} (+${file.added} −${file.removed})\n${fenced(truncateMiddle(diffLines(file.diff), detail.diffLines), 'diff')}`,
    ),
  );
}

function machineBody(machine: MachinePreview, detail: Detail): string[] {
  const blocks: string[] = [];
  if (machine.refusals.length > 0) {
    blocks.push(
      capped(
        machine.refusals,
        detail.notes,
        (r) => `- ⛔ **refused** by ${code(r.guard)}: ${escapeMarkdown(r.message)}`,
        'refusals',
      ).join('\n'),
    );
  }
  const changes = capped(machine.changes, detail.changes, (c) => changeItem(c, detail), 'changes');
  blocks.push(changes.map((line) => (line.startsWith('…') ? `- ${line}` : line)).join('\n'));
  const shown = machine.changes.slice(0, detail.changes);
  blocks.push(...diffBlocks(shown, detail));
  for (const prune of machine.prunes) {
    const anyway =
      prune.dueAnyway > 0
        ? `; ${prune.dueAnyway} of them ${prune.dueAnyway === 1 ? 'is' : 'are'} due under the base rules too`
        : '';
    blocks.push(
      `**Archives pruned on ${code(prune.destination)}**: ${prune.pruned.length} of ${prune.total} (${prune.kept} kept${anyway}; retention evaluated at ${prune.at})\n${fenced(
        capped(prune.pruned, detail.archives, (name) => name, 'archives'),
        'text',
      )}`,
    );
  }
  const notes = [
    ...machine.notes.map((n) => `- ${escapeMarkdown(n)}`),
    ...machine.warnings.map((w) => `- ⚠️ ${escapeMarkdown(w)}`),
  ];
  if (notes.length > 0) blocks.push(truncateMiddle(notes, detail.notes, 'notes').join('\n'));
  return blocks;
}

function badge(machine: MachinePreview): string {
  const status = machine.status === 'changed' ? '' : ` (${machine.status === 'added' ? 'new' : 'removed'})`;
  const mark = machine.refusals.length > 0 ? ' ⛔' : machine.counts.destructive > 0 ? ' ⚠️' : '';
  return `${status}${mark}`;
}

function machineSection(machine: MachinePreview, detail: Detail): string {
  const backend = machine.scheduler === undefined ? '' : ` (scheduler <code>${machine.scheduler}</code>)`;
  const summary = `<code>${machine.machine}</code>${badge(machine)}${backend}: ${countsWords(machine.counts)}`;
  return [`<details><summary>${summary}</summary>`, ...machineBody(machine, detail), '</details>'].join(
    '\n\n',
  );
}

/** The most detailed section within `share` characters, or the least detailed one within `left`. */
function fittingSection(machine: MachinePreview, share: number, left: number): string | undefined {
  for (const [index, level] of LEVELS.entries()) {
    const text = machineSection(machine, level);
    const limit = index === LEVELS.length - 1 ? left : share;
    if (size(text) + 2 <= limit) return text;
  }
  return undefined;
}

const TABLE_ROWS = 100;

function table(machines: readonly MachinePreview[]): string {
  const rows = [
    '| machine | additions | changes | removals | archives pruned |',
    '| --- | ---: | ---: | ---: | ---: |',
  ];
  for (const m of machines.slice(0, TABLE_ROWS)) {
    const c = m.counts;
    rows.push(
      `| ${code(m.machine)}${badge(m)} | ${c.additions} | ${c.changes} | ${c.removals} | ${c.archivesPruned} |`,
    );
  }
  const rest = machines.slice(TABLE_ROWS);
  if (rest.length > 0) {
    const sum = (pick: (m: MachinePreview) => number) => rest.reduce((total, m) => total + pick(m), 0);
    rows.push(
      `| … ${plural(rest.length, 'more machine')} | ${sum((m) => m.counts.additions)} | ${sum((m) => m.counts.changes)} | ${sum((m) => m.counts.removals)} | ${sum((m) => m.counts.archivesPruned)} |`,
    );
  }
  return rows.join('\n');
}

function header(report: PreviewReport): string[] {
  const base = report.base.commit.slice(0, 12);
  const head = report.head.commit.slice(0, 12);
  const blocks = [PREVIEW_MARKER, `### borgops preview ${code(base)} → ${code(head)}`];
  if (!report.base.valid) {
    blocks.push(
      `The declarations at ${code(base)} are invalid (${plural(report.base.errors, 'error')}): every machine is compared as if the base declared nothing.`,
    );
  }
  return blocks;
}

/** `Prometheus: +3 / −1 expected series`, when the change moves any (`borgops fleet targets`). */
function seriesWords(report: PreviewReport): string[] {
  const { added, removed } = report.summary.expectedSeries;
  if (added === 0 && removed === 0) return [];
  return [
    `Prometheus: +${added} / −${removed} expected series (regenerate with ${code('borgops fleet targets')})`,
  ];
}

function summaryBlocks(report: PreviewReport): string[] {
  const { summary } = report;
  const blocks: string[] = [];
  const context = [
    `schedule files as the ${code(report.scheduler)} scheduler writes them`,
    report.observed === null
      ? 'no archives observed (pass `--observed` to name the archives a retention change prunes)'
      : `archives observed for ${plural(report.observed.length, 'machine')}`,
    ...seriesWords(report),
  ];
  if (report.machines.length === 0) {
    blocks.push(`**No changes** on the ${plural(summary.machines, 'machine')} declared.`);
  } else {
    blocks.push(
      `**Changes on ${summary.changed} of ${plural(summary.machines, 'machine')}**: ${countsWords(summary)}.`,
    );
  }
  blocks.push(`<sub>${context.join(' · ')}</sub>`);
  const refused = machinesInOrder(report.machines).filter((m) => m.refusals.length > 0);
  if (refused.length > 0) {
    const lines = refused.flatMap((m) =>
      m.refusals.map((r) => `> - ${code(m.machine)} ${code(r.guard)}: ${escapeMarkdown(r.message)}`),
    );
    blocks.push(
      [
        '> [!CAUTION]',
        `> **A safety guard would refuse this change** on ${plural(refused.length, 'machine')}: apply exits 3 there unless allowed.`,
        ...fitLines(lines, 6000, 'refusals').map((line) => (line.startsWith('…') ? `> - ${line}` : line)),
      ].join('\n'),
    );
  }
  return blocks;
}

function problemBlocks(report: PreviewReport, budget: number): string[] {
  const errors = report.problems.filter((p) => p.severity === 'error').length;
  const lines = report.problems.map((p) => redactUrl(formatProblem(p)));
  const head = report.head.commit.slice(0, 12);
  return [
    `**❌ The declarations at ${code(head)} are invalid** (${plural(errors, 'error')}); nothing was compared. \`borgops validate --ref ${head}\` lists the same problems.`,
    fenced(fitLines(lines, budget, 'problems'), 'text'),
  ];
}

/**
 * The preview as a pull-request comment: the marker, a summary table, each machine in a
 * <details> block with fenced diffs. Never longer than `maxLength`: long diffs are cut in the
 * middle, then machines get less detail, then the remaining machines are only named.
 */
export function renderPreviewMarkdown(report: PreviewReport, options: PreviewMarkdownOptions = {}): string {
  const max = options.maxLength ?? DEFAULT_MAX_LENGTH;
  const blocks = header(report);
  const length = () => blocks.reduce((sum, block) => sum + size(block) + 2, 0);
  if (!report.head.valid) {
    blocks.push(...problemBlocks(report, max - length() - 600));
    return limited(printableText(`${blocks.join('\n\n')}\n`), max);
  }
  blocks.push(...summaryBlocks(report));
  const ordered = machinesInOrder(report.machines);
  if (ordered.length > 0) blocks.push(table(ordered));
  const warnings = report.problems
    .filter((p) => p.severity === 'warning')
    .map((p) => redactUrl(formatProblem(p)));
  if (warnings.length > 0) {
    blocks.push(
      `<details><summary>${plural(warnings.length, 'warning')} in the declarations</summary>\n\n${fenced(fitLines(warnings, 4000, 'warnings'), 'text')}\n\n</details>`,
    );
  }
  // room kept for the closing list of machines not shown
  const reserve = 4000;
  let shown = 0;
  for (const [index, machine] of ordered.entries()) {
    const left = max - length() - reserve;
    const share = Math.floor(left / Math.min(ordered.length - index, 4));
    const section = fittingSection(machine, share, left);
    if (section === undefined) break;
    blocks.push(section);
    shown += 1;
  }
  const rest = ordered.slice(shown);
  if (rest.length > 0) {
    const heading = `**${plural(rest.length, 'more machine')} not detailed here** (a comment is limited to 65,536 characters; \`borgops preview --format text\` or \`--format json\` shows everything):`;
    const names = fitLines(
      rest.map((m) => `- ${code(m.machine)}${badge(m)}: ${countsWords(m.counts)}`),
      max - length() - size(heading) - 8,
      'machines',
    );
    blocks.push(`${heading}\n\n${names.map((n) => (n.startsWith('…') ? `- ${n}` : n)).join('\n')}`);
  }
  return limited(printableText(`${blocks.join('\n\n')}\n`), max);
}
