import type { JobFile } from '../../../src/host/schedulers/types.js';
import { compareStrings } from '../../../src/util/compare.js';
import { unifiedDiff } from './diff.js';
import type { FilePatch } from './model.js';
import { redactValue } from './redact.js';

const labels = { before: 'base', after: 'head' };

function unified(path: string, before: string, after: string): Omit<FilePatch, 'path'> {
  const diff = redactValue(unifiedDiff({ path, before, after }, labels));
  let added = 0;
  let removed = 0;
  for (const line of diff.split('\n')) {
    if (line.startsWith('+') && !line.startsWith('+++ ')) added += 1;
    else if (line.startsWith('-') && !line.startsWith('--- ')) removed += 1;
  }
  return { diff, added, removed };
}

/**
 * A unified diff of one file between base and head, with secrets in it redacted. Computed when
 * first read: a fleet-wide change has thousands, and a PR comment shows a few dozen. The fields
 * are enumerable getters, so JSON and the text renderer still see plain data.
 */
export function patchOf(path: string, before: string, after: string): FilePatch {
  let computed: Omit<FilePatch, 'path'> | undefined;
  const get = () => {
    computed ??= unified(path, before, after);
    return computed;
  };
  const patch = { path };
  return Object.defineProperties(patch, {
    diff: { enumerable: true, get: () => get().diff },
    added: { enumerable: true, get: () => get().added },
    removed: { enumerable: true, get: () => get().removed },
  }) as typeof patch & Omit<FilePatch, 'path'>;
}

/** The patches of a set of generated files (a scheduler job's), changed files only, by path. */
export function patches(before: readonly JobFile[], after: readonly JobFile[]): FilePatch[] {
  const paths = [...new Set([...before.map((f) => f.path), ...after.map((f) => f.path)])].sort(
    compareStrings,
  );
  return paths.flatMap((path) => {
    const old = before.find((f) => f.path === path)?.content ?? '';
    const now = after.find((f) => f.path === path)?.content ?? '';
    return old === now ? [] : [patchOf(path, old, now)];
  });
}
