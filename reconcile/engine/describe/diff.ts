import { createTwoFilesPatch } from 'diff';
import type { FileDiff } from '../model.js';

/** A unified diff of one generated file (the `diff` package), without the Index/=== header. */
export function unifiedDiff(
  file: FileDiff,
  labels: { before: string; after: string } = { before: 'current', after: 'declared' },
): string {
  const patch = createTwoFilesPatch(
    file.path,
    file.path,
    file.before,
    file.after,
    labels.before,
    labels.after,
    { context: 3 },
  );
  return patch
    .split('\n')
    .filter((line) => !line.startsWith('Index: ') && !/^=+$/.test(line))
    .join('\n')
    .replace(/\n+$/, '\n');
}
