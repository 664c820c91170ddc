import { cpus } from 'node:os';
import type { RepositoryObservation } from '../../../src/borg/types.js';
import { repositoryKey } from '../../../src/config/rules.js';
import { resourceId } from '../../../src/desired/ids.js';
import type { DesiredDestination } from '../../../src/desired/types.js';
import type { Ledger } from '../../../src/host/ledger.js';
import type { HostPaths } from '../../../src/host/paths.js';
import { type Runs, readRuns } from '../../../src/host/runs.js';
import { exportedKeyPath, passphrasePath } from '../../../src/host/secrets.js';
import { borgTarget } from '../../../src/host/targets.js';
import { mapBounded } from '../../../src/util/pool.js';
import { redactValue } from '../describe/redact.js';
import { repositorySettings } from '../describe/settings.js';
import type { ActualMachine, BaseAction, ObservedRepository } from '../model.js';
import { repositorySpec, retentionSpec } from '../specs.js';
import { type KindModule, ledgerIds, type ObserveInput, type ResourceOf } from './kind.js';
import { repositoryVerdict } from './verdict.js';

/** A destination's borg repository: initialized when missing, never deleted. */

export type RepositoryAction = BaseAction & {
  op: 'repository.init';
  kind: 'repository';
  destination: string;
};

/**
 * A destination's repository needs a borg process only when something may have moved: it is not
 * in the ledger, its declaration changed since the last apply, its last backup failed, or the
 * user asked to refresh. Everything else comes from the ledger, so a hooks-only change costs no
 * borg process at all.
 */
function needsBorg(destination: DesiredDestination, ledger: Ledger, runs: Runs, refresh: boolean): boolean {
  if (refresh) return true;
  const repository = ledger.entries[resourceId('repository', destination.name)];
  const retention = ledger.entries[resourceId('retention', destination.name)];
  if (repository?.spec !== repositorySpec(destination)) return true;
  if (retention?.spec !== retentionSpec(destination)) return true;
  return runs.destinations[destination.name]?.error !== undefined;
}

async function observeRepositories(
  { context, desired, ledger, observed }: ObserveInput,
  runs: Runs,
): Promise<Record<string, ObservedRepository>> {
  const result: Record<string, ObservedRepository> = {};
  // one borg list per repository, shared by destinations that write to the same one
  const byRepository = new Map<string, DesiredDestination[]>();
  for (const destination of desired.destinations) {
    if (observed.secrets?.[destination.name]?.committed === 'unreadable') {
      // plan reports it; borg would only fail the same way
      result[destination.name] = {
        state: 'failed',
        failure: 'passphrase',
        message: `${destination.name}: the committed passphrase does not decrypt with this machine's key`,
        via: 'borg',
      };
      continue;
    }
    if (!needsBorg(destination, ledger, runs, context.refresh)) {
      result[destination.name] = { state: 'recorded', via: 'ledger' };
      continue;
    }
    const key = repositoryKey(destination.repo);
    byRepository.set(key, [...(byRepository.get(key) ?? []), destination]);
  }
  const groups = [...byRepository.values()];
  const limit = context.concurrency ?? Math.max(2, cpus().length * 2);
  const observations = await mapBounded(groups, limit, async (group): Promise<RepositoryObservation> => {
    const first = group[0]!;
    const target = borgTarget(first, context.paths, {
      passphraseExists: observed.secrets?.[first.name]?.passphrase ?? false,
    });
    const observation = await context.borg.list(target);
    context.logger.debug({ destination: first.name, state: observation.state }, 'repository observed');
    return observation;
  });
  groups.forEach((group, index) => {
    for (const destination of group) result[destination.name] = { ...observations[index]!, via: 'borg' };
  });
  return result;
}

/** Destinations with a successful backup on record: a repository was there, whatever the ledger says. */
function backedUp(runs: Runs): string[] {
  return Object.entries(runs.destinations)
    .filter(([, run]) => run.lastSuccess !== undefined || run.archive !== undefined)
    .map(([name]) => name)
    .sort();
}

/** Why a missing repository existed before (the re-init guard); not the ledger alone: a ledger moved away must not open the way. */
function existedBefore(name: string, actual: ActualMachine, paths: HostPaths): string[] {
  const secret = actual.secrets[name];
  const ledger = actual.ledger.entries;
  return [
    ...(ledger[resourceId('repository', name)] ? [`the ledger ${paths.ledger} records it`] : []),
    ...(secret?.key ? [`its key export ${exportedKeyPath(paths.secretsDir, name)} exists`] : []),
    ...(secret?.passphrase && !ledger[resourceId('secret', name)]
      ? [`its passphrase ${passphrasePath(paths.secretsDir, name)} exists`]
      : []),
    ...(actual.backedUp?.includes(name) ? [`${paths.runs} records a backup`] : []),
  ];
}

/**
 * The re-init refusal's words. The ledger records the spec (path and settings) of the repository
 * borgops initialized; when it records another one, borgops never initialized this path: a new
 * repository for an existing destination (as preview says), not a repository that went missing.
 * The guard is the same either way.
 */
function reinitMessage(destination: DesiredDestination, actual: ActualMachine, evidence: string[]): string {
  const name = destination.name;
  const recorded = actual.ledger.entries[resourceId('repository', name)]?.spec;
  if (recorded !== undefined && recorded !== repositorySpec(destination))
    return `${name}: a new repository ${destination.repo} for the existing destination ${name}: borgops initialized this destination before at another path or with other settings (${evidence.join('; ')}); if ${destination.repo} does not exist yet, apply creates it only with --allow-reinit (the old repository and its archives stay)`;
  return `${name}: ${destination.repo} is missing, but it existed before (${evidence.join('; ')}): an unmounted disk? deleted? --allow-reinit creates it again, empty`;
}

export const repository: KindModule<
  RepositoryAction,
  { repositories: Record<string, ObservedRepository>; backedUp?: string[] },
  ResourceOf<'repository'>
> = {
  kind: 'repository',

  async observe(input) {
    const runs = await readRuns(input.context.paths.runs);
    return { repositories: await observeRepositories(input, runs), backedUp: backedUp(runs) };
  },

  planEach(destination, { actual, options }, out) {
    const name = destination.name;
    const id = resourceId('repository', name);
    const verdict = repositoryVerdict(destination, actual);
    const observed = actual.repositories[name];
    if (verdict === 'failed' && observed?.state === 'failed') {
      out.errors.push({ id, destination: name, message: observed.message });
      return;
    }
    if (verdict !== 'create') return;
    out.actions.push({
      op: 'repository.init',
      id,
      kind: 'repository',
      destination: name,
      effect: 'additive',
      summary: `borg init --encryption ${destination.encryption.mode} ${destination.repo}`,
    });
    const evidence = existedBefore(name, actual, options.paths);
    if (evidence.length > 0) {
      out.refusals.push({ guard: 'reinit', id, message: reinitMessage(destination, actual, evidence) });
    }
  },

  plan({ actual, declared, options }, out) {
    for (const id of ledgerIds(actual, 'repository')) {
      if (declared.has(id)) continue;
      out.notes.push(
        `${id} is no longer declared: the repository and its archives are left in place (borgops never deletes a repository); its secrets stay in ${options.paths.secretsDir}`,
      );
    }
  },

  async apply(action, { context, destinationOf, record }) {
    const destination = destinationOf(action.destination);
    // the passphrase is obtained before borg starts: one that cannot be had creates nothing
    await context.borg.init(borgTarget(destination, context.paths), destination.encryption.mode);
    await record(action.id, { kind: 'repository', spec: repositorySpec(destination) });
    await record(resourceId('retention', destination.name), {
      kind: 'retention',
      spec: retentionSpec(destination),
    });
  },

  settle(resource, input) {
    const name = resource.destination.name;
    if (input.failedDestinations.has(name)) return;
    const spec = repositorySpec(input.destinationOf(name));
    if (input.pending(resource.id) || input.ledger.entries[resource.id]?.spec === spec) return;
    input.ledger.entries[resource.id] = { kind: 'repository', spec, appliedAt: input.stamp() };
  },

  forgetsUndeclared: true,

  preview: {
    added: ({ destination }) => ({
      summary: `back up to ${destination.name} at ${redactValue(destination.repo)} (borg init --encryption ${destination.encryption.mode} when it does not exist)`,
    }),
    removed: ({ destination }) => ({
      summary: `stop backing up to ${destination.name}; ${redactValue(destination.repo)} and its archives stay (borgops never deletes a repository)`,
    }),
    changed(before, after) {
      const settings = repositorySettings(before.destination, after.destination);
      if (settings.length === 0) return undefined;
      return { summary: `change the repository settings of ${after.destination.name}`, settings };
    },
  },
};
