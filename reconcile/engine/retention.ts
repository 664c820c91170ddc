import { ownArchives, planRetention, type RetentionPlan } from '../../src/borg/retention.js';
import type { Archive, Borg, BorgTarget } from '../../src/borg/types.js';
import type { DesiredDestination } from '../../src/desired/types.js';
import { BorgopsError } from '../../src/errors.js';

/*
 * Retention of one destination, shared by `plan`/`apply` and `backups create` so both prune by
 * exactly the same rules: this machine's and this destination's archives only, the same guards,
 * and the same borg steps (delete exactly these archives, then compact).
 */

export interface DestinationRetention {
  /** This machine's and this destination's archives (`<machine>-<destination>-<time>`), in borg list order. */
  own: Archive[];
  plan: RetentionPlan;
}

export function destinationRetention(
  destination: DesiredDestination,
  archives: readonly Archive[],
  now: Date,
): DestinationRetention {
  const own = ownArchives(archives, destination.archivePrefix);
  return { own, plan: planRetention(own, destination.keep, now) };
}

/**
 * `<prefix><time>.failed` archives: written by a `backups create` that did not finish (it renames
 * the archive only once borg create succeeded). Never counted by retention (ownArchives skips them).
 */
export function failedLeftovers(archives: readonly Archive[], prefix: string): string[] {
  const suffix = '.failed';
  const candidates = archives
    .filter((archive) => archive.name.endsWith(suffix))
    .map((archive) => ({ name: archive.name.slice(0, -suffix.length) }));
  return ownArchives(candidates, prefix).map((archive) => `${archive.name}${suffix}`);
}

/** This machine's and destination's archive, or its `.failed` leftover: the only names a prune may delete. */
export function isOwnArchiveName(name: string, prefix: string): boolean {
  const base = name.endsWith('.failed') ? name.slice(0, -'.failed'.length) : name;
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
      `refusing to prune ${foreign.length} archive(s) that are not ${prefix}<time>: ${foreign.slice(0, 3).join(', ')}`,
    );
  }
  await borg.deleteArchives(target, archives);
  await borg.compact(target);
}
