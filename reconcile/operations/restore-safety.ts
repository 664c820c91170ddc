import { lstat, readdir } from 'node:fs/promises';
import { posix } from 'node:path';
import type { ArchiveItem } from '../../src/borg/items.js';
import { BorgopsError } from '../../src/errors.js';
import { itemsThroughLinks } from './drill-scratch.js';

/* Where a restore may write: under where it extracts, never through a link the archive holds. */

/**
 * Members borg 1.2 would write outside where it extracts: a path that is absolute or climbs
 * with `..` (borg joins it to its cwd as it is), or one under a symlink the archive restores
 * first (borg follows it). An archive is forged easily by whoever can write the repository.
 */
export function unsafeMembers(items: readonly ArchiveItem[]): string[] {
  const climbing = items.flatMap((item) =>
    posix.isAbsolute(item.path) || item.path.split('/').includes('..')
      ? [`${item.path} (leaves the directory it is extracted into)`]
      : [],
  );
  const links = new Set(items.filter((item) => item.type === 'l').map((item) => item.path));
  return [...climbing, ...itemsThroughLinks(items, links)];
}

/** Refuses the restore, naming the first members, before anything ran or was written. */
export function refuseUnsafe(archive: string, into: string, unsafe: readonly string[]): never {
  const more = unsafe.length > 5 ? ` (and ${unsafe.length - 5} more)` : '';
  throw new BorgopsError(
    'E_GUARD',
    `${archive}: borg extract would write outside ${into}: ${unsafe.slice(0, 5).join('; ')}${more}; nothing was restored and no script ran (is the repository tampered with?)`,
  );
}

/**
 * `--target` is extracted into a fresh directory: absent (made 0700) or an empty real directory,
 * so nothing already there (a planted symlink) redirects what borg writes.
 */
export async function checkFreshTarget(into: string): Promise<void> {
  let stats: Awaited<ReturnType<typeof lstat>>;
  try {
    stats = await lstat(into);
  } catch (error: unknown) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return;
    throw error;
  }
  if (stats.isSymbolicLink())
    throw new BorgopsError('E_USAGE', `--target ${into} is a symlink: give a new or empty directory`);
  if (!stats.isDirectory())
    throw new BorgopsError('E_USAGE', `--target ${into} is not a directory: give a new or empty directory`);
  if ((await readdir(into)).length > 0)
    throw new BorgopsError(
      'E_USAGE',
      `--target ${into} is not empty: a restore extracts into a new or empty directory (what is there could redirect it)`,
    );
}
