import { ownArchives } from '../../src/borg/retention.js';
import { nearest } from '../../src/config/suggest.js';
import type { DesiredDestination, DesiredMachine, DesiredState } from '../../src/desired/types.js';
import { BorgopsError } from '../../src/errors.js';
import { declaredNames, findDestination } from './applied-machine.js';

/** clan's provider name: the module that made the backups (`borgbackup`, the one module borgops runs). */
export const PROVIDER = 'borgbackup';

export interface RestoreSource {
  destination: DesiredDestination;
  archive: string;
  /** The name as given: `<destination>::<repo>::<archive>`. */
  name: string;
}

const NAME_FORM = '<destination>::<repo>::<archive>, a line of `borgops backups list`';

export function checkProvider(desired: DesiredMachine, provider: string): void {
  checkProviderName(desired.machine, provider);
}

/** clan's `--provider P` of backups create, list and restore: borgops has the one provider, `borgbackup`. */
export function checkProviderName(machine: string | undefined, provider: string): void {
  if (provider === PROVIDER) return;
  const whose = machine === undefined ? 'this machine' : machine;
  throw new BorgopsError(
    'E_USAGE',
    `unknown provider "${provider}": the backups of ${whose} are made by the ${PROVIDER} module (provider "${PROVIDER}")`,
  );
}

/**
 * Reads a `backups list` line back: the destination is before the first `::`, the archive after
 * the last (a repository may hold `:` but never `::`). The archive must be this machine's and
 * this destination's (`<machine>-<destination>-<time>`): never another machine's, never `.failed`.
 */
export function parseRestoreName(desired: DesiredMachine, name: string): RestoreSource {
  const first = name.indexOf('::');
  const last = name.lastIndexOf('::');
  if (first < 0 || last <= first) {
    throw new BorgopsError('E_USAGE', `"${name}" is not a backup name: expected ${NAME_FORM}`);
  }
  const destination = findDestination(desired, name.slice(0, first));
  const repo = name.slice(first + 2, last);
  const archive = name.slice(last + 2);
  if (repo !== destination.repo) {
    throw new BorgopsError(
      'E_USAGE',
      `"${name}" names repository ${repo}, but ${destination.name}'s repository is ${destination.repo}`,
    );
  }
  if (ownArchives([{ name: archive }], destination.archivePrefix).length === 0) {
    throw new BorgopsError(
      'E_USAGE',
      `archive "${archive}" is not a backup of machine ${desired.machine} in ${destination.name}: its archives are named ${destination.archivePrefix}<YYYY-MM-DDTHH:MM:SS>`,
    );
  }
  return { destination, archive, name };
}

/** The state named by `--service`, or every state. */
export function statesToRestore(desired: DesiredMachine, service: string | undefined): DesiredState[] {
  if (service === undefined) return desired.states;
  const state = desired.states.find((s) => s.name === service);
  if (!state) {
    const suggestion = nearest(
      service,
      desired.states.map((s) => s.name),
    );
    const hint = suggestion === undefined ? '' : `; did you mean "${suggestion}"?`;
    throw new BorgopsError(
      'E_USAGE',
      `unknown service "${service}" on ${desired.machine}${hint} (its states: ${declaredNames(desired.states)})`,
    );
  }
  return [state];
}
