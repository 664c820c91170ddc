import { cpus } from 'node:os';
import { ownArchives } from '../../src/borg/retention.js';
import type { Borg, RepositoryObservation } from '../../src/borg/types.js';
import { repositoryKey } from '../../src/config/rules.js';
import type { DesiredDestination } from '../../src/desired/types.js';
import type { HostPaths } from '../../src/host/paths.js';
import { borgTarget } from '../../src/host/targets.js';
import { compareStrings } from '../../src/util/compare.js';
import { mapBounded } from '../../src/util/pool.js';
import { failedLeftovers } from '../engine/retention.js';
import { type FromGit, machineFor } from './declared-machine.js';
import { type Failure, observationFailure } from './failure.js';

/** One backup as `backups list` shows it; `name` is what `backups restore` takes. */
export interface ListedBackup {
  /** `<destination>::<repo>::<archive>`, clan's line. */
  name: string;
  destination: string;
  repo: string;
  archive: string;
  /** borg's local start time. */
  start: string;
}

export interface BackupListing {
  machine: string;
  backups: ListedBackup[];
  /** Destinations that could not be listed (unreachable, missing, wrong passphrase, …). */
  errors: (Failure & { destination: string })[];
  /** `.checkpoint` (and older `.failed`) archives interrupted runs left (deleted by the next successful backup). */
  incomplete: { destination: string; archive: string }[];
}

export function backupName(destination: string, repo: string, archive: string): string {
  return `${destination}::${repo}::${archive}`;
}

/** Sorted lines, byte for byte the guide's `clan backups list`. */
export function formatListing(backups: readonly ListedBackup[]): string {
  return backups.map((backup) => `${backup.name}\n`).join('');
}

/** One `borg list` per repository (destinations sharing one share it), in parallel across repositories. */
export async function observeDestinations(
  borg: Borg,
  paths: HostPaths,
  destinations: readonly DesiredDestination[],
  identity?: string,
): Promise<Map<string, RepositoryObservation>> {
  const groups = new Map<string, DesiredDestination[]>();
  for (const destination of destinations) {
    const key = repositoryKey(destination.repo);
    groups.set(key, [...(groups.get(key) ?? []), destination]);
  }
  const grouped = [...groups.values()];
  const observations = await mapBounded(grouped, Math.max(2, cpus().length * 2), (group) =>
    borg.list(borgTarget(group[0]!, paths, identity === undefined ? {} : { identity })),
  );
  const byDestination = new Map<string, RepositoryObservation>();
  grouped.forEach((group, index) => {
    for (const destination of group) byDestination.set(destination.name, observations[index]!);
  });
  return byDestination;
}

/** `borgops backups list`: this machine's archives in every destination, from the applied declarations. */
export async function listBackups(options: {
  paths: HostPaths;
  borg: Borg;
  machine?: string;
  /** Read the declarations from git and decrypt with an admin identity instead of the applied state. */
  from?: FromGit;
}): Promise<BackupListing> {
  const { desired, identity } = await machineFor(options.paths, options.machine, options.from);
  const observations = await observeDestinations(options.borg, options.paths, desired.destinations, identity);
  const listing: BackupListing = { machine: desired.machine, backups: [], errors: [], incomplete: [] };
  for (const destination of desired.destinations) {
    const observation = observations.get(destination.name)!;
    if (observation.state !== 'present') {
      listing.errors.push({
        destination: destination.name,
        ...observationFailure(destination.name, observation),
      });
      continue;
    }
    for (const archive of ownArchives(observation.archives, destination.archivePrefix)) {
      listing.backups.push({
        name: backupName(destination.name, destination.repo, archive.name),
        destination: destination.name,
        repo: destination.repo,
        archive: archive.name,
        start: archive.start,
      });
    }
    for (const archive of failedLeftovers(observation.archives, destination.archivePrefix)) {
      listing.incomplete.push({ destination: destination.name, archive });
    }
  }
  listing.backups.sort((a, b) => compareStrings(a.name, b.name));
  return listing;
}
