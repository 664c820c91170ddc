// operations/: `borgops observe`: what this machine's destinations hold, as the snapshot
// `preview --observed` reads (README "Pull-request previews"), for CI to fetch from machines.
import { ownArchives } from '../../src/borg/retention.js';
import type { Borg } from '../../src/borg/types.js';
import type { HostPaths } from '../../src/host/paths.js';
import { observeDestinations } from './backups-list.js';
import { machineFor } from './declared-machine.js';
import { observationFailure } from './failure.js';

/** One destination as observed: its repository (absent when it does not exist) and this machine's archives. */
export interface SnapshotDestination {
  repo?: string;
  archives: { name: string; start: string }[];
}

/** The snapshot format of `preview --observed`; `errors` names destinations that could not be listed (left out). */
export interface ObservedSnapshot {
  machine: string;
  observedAt: string;
  destinations: Record<string, SnapshotDestination>;
  errors: { destination: string; message: string }[];
}

/** Lists every destination of the applied declarations with real borg (one process per repository). */
export async function observeSnapshot(options: {
  paths: HostPaths;
  borg: Borg;
  machine?: string;
  now: Date;
}): Promise<ObservedSnapshot> {
  const { desired } = await machineFor(options.paths, options.machine, undefined);
  const observations = await observeDestinations(options.borg, options.paths, desired.destinations);
  const snapshot: ObservedSnapshot = {
    machine: desired.machine,
    observedAt: options.now.toISOString(),
    destinations: {},
    errors: [],
  };
  for (const destination of desired.destinations) {
    const observation = observations.get(destination.name)!;
    if (observation.state === 'present') {
      snapshot.destinations[destination.name] = {
        repo: destination.repo,
        archives: ownArchives(observation.archives, destination.archivePrefix).map((archive) => ({
          name: archive.name,
          start: archive.start,
        })),
      };
    } else if (observation.state === 'missing') {
      // no repository yet: no archives, and no `repo` (a preview then knows apply must create it)
      snapshot.destinations[destination.name] = { archives: [] };
    } else {
      // unknown archives are left out rather than exported as none
      snapshot.errors.push({
        destination: destination.name,
        message: observationFailure(destination.name, observation).message,
      });
    }
  }
  return snapshot;
}
