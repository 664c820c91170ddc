import {
  ownArchives,
  planRetention,
  type RetentionArchive,
  type RetentionPlan,
} from '../../src/borg/retention.js';
import type { Borg, BorgTarget } from '../../src/borg/types.js';
import type { DesiredDestination } from '../../src/desired/types.js';
import { BorgopsError } from '../../src/errors.js';
import { plural } from '../../src/util/words.js';

/*
 * Retention of one destination, shared by `plan`/`apply` and `backups create` so both prune by
 * exactly the same rules: this machine's and this destination's archives only, the same guards,
 * and the same borg steps (delete exactly these archives, then compact).
 */

export interface DestinationRetention<T extends RetentionArchive> {
  /** This machine's and this destination's archives (`<machine>-<destination>-<time>`), in borg list order. */
  own: T[];
  plan: RetentionPlan;
}

export function destinationRetention<T extends RetentionArchive>(
  destination: DesiredDestination,
  archives: readonly T[],
  now: Date,
): DestinationRetention<T> {
  const own = ownArchives(archives, destination.archivePrefix);
  return { own, plan: planRetention(own, destination.keep, now) };
}

/** What an interrupted run leaves: borg's `.checkpoint[.N]`, and `.failed` from borgops before 0.2. */
const LEFTOVER_SUFFIX = /(\.failed)?(\.checkpoint(\.[0-9]+)?)?$/;

/** The `<prefix><time>` a leftover name was made from, or undefined when it is no leftover. */
function leftoverBase(name: string): string | undefined {
  const match = LEFTOVER_SUFFIX.exec(name);
  if (match === null || match[0] === '') return undefined;
  return name.slice(0, match.index);
}

/**
 * This machine's and destination's incomplete archives: `<prefix><time>.checkpoint[.N]`, which
 * borg writes when a create is interrupted (`borg prune` deletes them once a later archive
 * exists), and `<prefix><time>.failed[.checkpoint]` that earlier versions of borgops wrote
 * before renaming. Never counted by retention (ownArchives skips them).
 */
export function failedLeftovers(archives: readonly { name: string }[], prefix: string): string[] {
  return archives
    .map((archive) => archive.name)
    .filter((name) => {
      const base = leftoverBase(name);
      return base !== undefined && ownArchives([{ name: base }], prefix).length === 1;
    });
}

/** This machine's and destination's archive, or its leftover: the only names a prune may delete. */
export function isOwnArchiveName(name: string, prefix: string): boolean {
  const base = leftoverBase(name) ?? name;
  return ownArchives([{ name: base }], prefix).length === 1;
}

/**
 * The prune step: delete exactly these archives (one borg process), then `borg compact` to free
 * the space. Checked again here, at the point of use: a name without this machine's and
 * destination's prefix is refused whatever computed the list.
 */
export async function pruneArchives(
  borg: Borg,
  target: BorgTarget,
  archives: readonly string[],
  prefix: string,
): Promise<void> {
  if (archives.length === 0) return;
  const foreign = archives.filter((name) => !isOwnArchiveName(name, prefix));
  if (foreign.length > 0) {
    throw new BorgopsError(
      'E_GUARD',
      `refusing to prune ${plural(foreign.length, 'archive')} that are not ${prefix}<time>: ${foreign.slice(0, 3).join(', ')}`,
    );
  }
  await borg.deleteArchives(target, archives);
  await borg.compact(target);
}
