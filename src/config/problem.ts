import { compareStrings } from '../util/compare.js';
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
