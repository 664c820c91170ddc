import { compareStrings } from '../util/compare.js';
import { plural } from '../util/words.js';
export type Severity = 'error' | 'warning';

/** One thing wrong with the declarations, located as precisely as the files allow. */
export interface Problem {
  file: string;
  line: number;
  /** Dotted path inside the file; empty for the whole file. */
  path: string;
  message: string;
  severity: Severity;
}

export function formatProblem(problem: Problem): string {
  const where =
    problem.path === ''
      ? `${problem.file}:${problem.line}`
      : `${problem.file}:${problem.line}: ${problem.path}`;
  const prefix = problem.severity === 'warning' ? 'warning: ' : '';
  return `${where}: ${prefix}${problem.message}`;
}

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

const simpleSegment = /^[A-Za-z0-9_$-]+$/;

/** `instances.borgbackup.roles`; segments with dots or spaces are quoted, array indexes are numbers. */
export function dottedPath(path: readonly PropertyKey[]): string {
  return path
    .map((segment) => {
      if (typeof segment === 'number') return String(segment);
      const text = String(segment);
      return simpleSegment.test(text) ? text : JSON.stringify(text);
    })
    .join('.');
}

export function compareProblems(a: Problem, b: Problem): number {
  return (
    compareStrings(a.file, b.file) ||
    a.line - b.line ||
    compareStrings(a.path, b.path) ||
    compareStrings(a.message, b.message)
  );
}

/** Problems reported per file at most; a file with thousands of mistakes has one cause to fix first. */
export const MAX_PROBLEMS_PER_FILE = 200;

/**
 * The first `limit` problems of each file (sorted), then one line saying how many more there
 * are: output, logs and status stay small however broken a file is. The summary is an error
 * when any dropped problem is one, so capping never turns a refusal into an acceptance.
 */
export function capProblems(sorted: readonly Problem[], limit = MAX_PROBLEMS_PER_FILE): Problem[] {
  const out: Problem[] = [];
  let index = 0;
  while (index < sorted.length) {
    const file = sorted[index]?.file;
    let end = index;
    while (end < sorted.length && sorted[end]?.file === file) end += 1;
    const kept = sorted.slice(index, Math.min(end, index + limit));
    out.push(...kept);
    const dropped = sorted.slice(index + kept.length, end);
    if (dropped.length > 0) {
      const errors = dropped.filter((p) => p.severity === 'error').length;
      out.push({
        file: file ?? '',
        line: dropped[0]?.line ?? 1,
        path: '',
        message: `and ${plural(dropped.length, 'more problem')} in this file (${plural(errors, 'error')}, ${plural(dropped.length - errors, 'warning')}), not shown`,
        severity: errors > 0 ? 'error' : 'warning',
      });
    }
    index = end;
  }
  return out;
}
