import { realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, posix, relative } from 'node:path';
import type { ArchiveItem } from '../../src/borg/items.js';
import type { DesiredDestination, DesiredMachine } from '../../src/desired/types.js';
import { type HostPaths, underRoot } from '../../src/host/paths.js';

/* Where a drill may write: its scratch directory, never a live folder, never through a link. */

/** Whether `child` is `parent` or under it (path.relative: `/srv/app-x` is not under `/srv/app`). */
export function inside(parent: string, child: string): boolean {
  const path = relative(parent, child);
  return path === '' || (!path.startsWith('..') && !isAbsolute(path));
}

/** The scratch parent: `verify.scratch` under --root, or `<state-dir>/drill`. */
export function scratchParent(paths: HostPaths, destination: DesiredDestination): string {
  const declared = destination.verify.scratch;
  return declared === undefined ? join(paths.stateDir, 'drill') : underRoot(paths.root, declared);
}

/** `path` with its existing part resolved (symlinks followed): where a directory made there really is. */
async function resolvedPath(path: string): Promise<string> {
  const rest: string[] = [];
  let head = path;
  for (;;) {
    try {
      return join(await realpath(head), ...rest);
    } catch {
      if (dirname(head) === head) return path;
      rest.unshift(basename(head));
      head = dirname(head);
    }
  }
}

/**
 * The live state folders a scratch directory overlaps (a drill never writes into, or over, one),
 * as declared and after following symlinks: a scratch directory that is a link into a live
 * folder, or a live folder that is a link to above the scratch directory, overlaps too.
 */
export async function overlappingFolders(
  paths: HostPaths,
  desired: DesiredMachine,
  scratch: string,
): Promise<string[]> {
  const overlap = (a: string, b: string) => inside(a, b) || inside(b, a);
  const realScratch = await resolvedPath(scratch);
  const found: string[] = [];
  for (const folder of desired.states.flatMap((state) => state.folders)) {
    const live = underRoot(paths.root, folder);
    if (overlap(live, scratch) || overlap(await resolvedPath(live), realScratch)) found.push(folder);
  }
  return found;
}

/**
 * The items borg extract would write through an archived symlink it re-created (an archive of
 * `/srv/app` with `link -> /mnt/data` and of `/srv/app/link/db` too): borg 1.2 follows it, so
 * they would land where the link points, outside the scratch directory, perhaps in live data.
 */
export function itemsThroughLinks(items: readonly ArchiveItem[], links: ReadonlySet<string>): string[] {
  return items.flatMap((item) => {
    for (let at = posix.dirname(item.path); at !== '.' && at !== '/'; at = posix.dirname(at)) {
      if (links.has(at)) return [`${item.path} (under the symlink ${at})`];
    }
    return [];
  });
}
