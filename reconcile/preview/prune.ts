import { listedInstantsMicros, parseArchiveTimes } from '../../src/borg/archive-time.js';
import { ownArchives, planRetention, type RetentionArchive } from '../../src/borg/retention.js';
import type { Keep } from '../../src/config/schema.js';
import type { PrunePreview } from './model.js';
import type { ObservedArchive } from './observed.js';

/** A destination whose retention changed, with the observed archives that may be its own. */
export interface PruneInput {
  destination: string;
  archivePrefix: string;
  keep: Keep;
  /** The rules at base; absent for a destination new at head. */
  baseKeep?: Keep;
  observed: readonly ObservedArchive[];
}

const ARCHIVE_TIME_LENGTH = 'YYYY-MM-DDTHH:MM:SS'.length;

/** This machine's and this destination's archives only, with the name's time when no start was exported. */
export function ownObserved(observed: readonly ObservedArchive[], prefix: string): RetentionArchive[] {
  return ownArchives(observed, prefix).map((archive) => ({
    name: archive.name,
    start: archive.start ?? archive.name.slice(-ARCHIVE_TIME_LENGTH),
  }));
}

/** The newest archive's start as an instant (local time of this process, as borg's; list order settles a repeated hour), or undefined. */
export function newestStart(archives: readonly RetentionArchive[]): Date | undefined {
  if (archives.length === 0) return undefined;
  const instants = listedInstantsMicros(parseArchiveTimes(archives));
  let newest = Number.NEGATIVE_INFINITY;
  for (const instant of instants) newest = Math.max(newest, instant);
  return new Date(Math.floor(newest / 1000));
}

/** What head's rules prune at `at` among the destination's own archives; undefined when nothing. */
export function prunePreview(
  input: PruneInput,
  own: readonly RetentionArchive[],
  at: Date,
): PrunePreview | undefined {
  if (own.length === 0) return undefined;
  const head = planRetention(own, input.keep, at);
  if (head.pruned.length === 0) return undefined;
  const base = input.baseKeep === undefined ? undefined : planRetention(own, input.baseKeep, at);
  const dueAnyway = new Set(base?.pruned ?? []);
  return {
    destination: input.destination,
    archivePrefix: input.archivePrefix,
    at: at.toISOString(),
    total: own.length,
    kept: own.length - head.pruned.length,
    pruned: head.pruned,
    dueAnyway: head.pruned.filter((name) => dueAnyway.has(name)).length,
  };
}
