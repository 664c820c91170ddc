import { compareStrings } from '../../src/util/compare.js';
import { plural } from '../../src/util/words.js';
import type { MachineCounts, MachinePreview } from '../preview/model.js';

/** `+` added, `~` changed, `-` removed, as the plan prints actions. */
export const CHANGE_SYMBOL = { added: '+', changed: '~', removed: '-' } as const;

/** `1 to add, 2 to change, 1 to remove (1 destructive), 5 archives pruned`; `no change` when all are 0. */
export function countsWords(counts: MachineCounts): string {
  const parts: string[] = [];
  if (counts.additions > 0) parts.push(`${counts.additions} to add`);
  if (counts.changes > 0) parts.push(`${counts.changes} to change`);
  if (counts.removals > 0) parts.push(`${counts.removals} to remove`);
  let words = parts.join(', ') || 'no change';
  if (counts.destructive > 0) words += ` (${counts.destructive} destructive)`;
  if (counts.archivesPruned > 0) words += `, ${plural(counts.archivesPruned, 'archive')} pruned`;
  return words;
}

/** Machines a guard would refuse first, then those with destructive changes, then the rest; by name within each. */
export function machinesInOrder(machines: readonly MachinePreview[]): MachinePreview[] {
  const rank = (m: MachinePreview) => (m.refusals.length > 0 ? 0 : m.counts.destructive > 0 ? 1 : 2);
  return [...machines].sort((a, b) => rank(a) - rank(b) || compareStrings(a.machine, b.machine));
}

/** At most `max` lines: the first and last halves, and one line saying how many are left out. */
export function truncateMiddle(lines: readonly string[], max: number, what = 'lines'): string[] {
  if (lines.length <= max) return [...lines];
  const keep = Math.max(2, max - 1);
  const head = Math.ceil(keep / 2);
  const tail = keep - head;
  const hidden = lines.length - head - tail;
  return [...lines.slice(0, head), `… ${hidden} ${what} not shown …`, ...lines.slice(lines.length - tail)];
}

/** The lines of a diff without its trailing newline. */
export function diffLines(diff: string): string[] {
  return diff.replace(/\n$/, '').split('\n');
}

export { plural };
