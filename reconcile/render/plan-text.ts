// render/: turns plans, previews, backups and health into text, markdown and metrics; reads the
// models of engine/, operations/ and preview/, and never runs anything (ARCHITECTURE.md).

import { printableLine } from '../../src/util/printable.js';
import { unifiedDiff } from '../engine/describe/diff.js';
import type { Action, GuardName, Plan } from '../engine/model.js';

export interface RenderOptions {
  color: boolean;
  /** Guards the user allowed (`apply --allow-…`): their refusals are shown as allowed, not refused. */
  allowed?: ReadonlySet<GuardName>;
}

const symbols = { additive: '+', mutating: '~', destructive: '-' } as const;
const colors = { additive: 32, mutating: 33, destructive: 31 } as const;

function paint(options: RenderOptions, code: number, text: string): string {
  return options.color ? `\u001b[${code}m${text}\u001b[0m` : text;
}

function indent(text: string, prefix: string): string {
  return text
    .replace(/\n$/, '')
    .split('\n')
    .map((line) => `${prefix}${printableLine(line)}`)
    .join('\n');
}

function details(action: Action): string[] {
  switch (action.op) {
    case 'hook.write':
    case 'hook.remove':
      return [unifiedDiff(action.diff)];
    case 'schedule.install':
    case 'schedule.remove':
      return action.diffs.map((diff) => unifiedDiff(diff));
    case 'retention.prune':
      return [action.archives.map((name) => `- ${name}`).join('\n')];
    case 'authorized-key.set':
      return [
        [...action.remove.map((line) => `- ${line}`), ...action.add.map((line) => `+ ${line}`)].join('\n'),
      ];
    default:
      return [];
  }
}

export function summaryLine(plan: Plan): string {
  const { add, change, destroy, archives } = plan.summary;
  const pruned = archives > 0 ? ` (${archives} archive${archives === 1 ? '' : 's'} pruned)` : '';
  return `Plan: ${add} to add, ${change} to change, ${destroy} to destroy${pruned}.`;
}

/** A plan for people, like Terraform's: one line per action, diffs of generated files, every pruned archive. */
export function renderPlanText(plan: Plan, options: RenderOptions): string {
  const at = plan.commit ? ` at ${plan.commit.slice(0, 12)}` : plan.worktree ? ' (working tree)' : '';
  const borg = `${plan.borgProcesses} borg process${plan.borgProcesses === 1 ? '' : 'es'}`;
  const lines = [
    `borgops plan for ${plan.machine}${at} (scheduler ${plan.scheduler}, ${borg}${plan.refresh ? ', refreshed' : ''})`,
    '',
  ];
  const settings = plan.settings ?? [];
  const width = Math.max(0, ...plan.actions.map((a) => a.id.length), ...settings.map((s) => s.id.length));
  for (const action of plan.actions) {
    const symbol = paint(options, colors[action.effect], symbols[action.effect]);
    lines.push(`  ${symbol} ${printableLine(action.id).padEnd(width)}  ${printableLine(action.summary)}`);
    for (const block of details(action)) if (block !== '') lines.push(indent(block, '      '));
  }
  for (const setting of settings) {
    const symbol = paint(options, colors.mutating, symbols.mutating);
    lines.push(`  ${symbol} ${printableLine(setting.id).padEnd(width)}  ${printableLine(setting.summary)}`);
  }
  const changes = plan.actions.length + settings.length;
  if (changes > 0) lines.push('');
  const section = (title: string, items: readonly string[], mark: string) => {
    if (items.length === 0) return;
    lines.push(`${title}:`, ...items.map((item) => `  ${mark} ${printableLine(item)}`), '');
  };
  section('Notes', plan.notes, '·');
  section('Warnings', plan.warnings, '!');
  section(
    'Errors',
    plan.errors.map((e) => e.message),
    '✗',
  );
  const allowed = plan.refusals.filter((r) => options.allowed?.has(r.guard));
  section(
    'Refused by safety guards (apply exits 3 unless allowed)',
    plan.refusals.filter((r) => !allowed.includes(r)).map((r) => r.message),
    '✗',
  );
  section(
    'Allowed past safety guards',
    allowed.map(
      (r) => `${r.message.replace(/; --allow-[a-z-]+ permits it$/, '')} (allowed by --allow-${r.guard})`,
    ),
    '!',
  );
  if (changes === 0) {
    lines.push(
      plan.errors.length === 0
        ? `No changes: ${plan.machine} is converged${at}.`
        : 'No changes for what could be observed.',
    );
  } else {
    lines.push(summaryLine(plan));
  }
  return `${lines.join('\n')}\n`;
}
