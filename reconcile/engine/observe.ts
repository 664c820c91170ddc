import { cpus } from 'node:os';
import type { Borg, RepositoryObservation } from '../../src/borg/types.js';
import { repositoryKey } from '../../src/config/rules.js';
import type { DesiredDestination, DesiredMachine } from '../../src/desired/types.js';
import { lookupUser, managesAccounts } from '../../src/host/accounts.js';
import { observeHooks } from '../../src/host/hooks.js';
import { type Ledger, readLedger } from '../../src/host/ledger.js';
import { type HostPaths, underRoot } from '../../src/host/paths.js';
import { type Runs, readRuns } from '../../src/host/runs.js';
import type { Scheduler } from '../../src/host/schedulers/types.js';
import { observeSecret } from '../../src/host/secrets.js';
import { authorizedKeysPath, observeServed, readAuthorizedKeys } from '../../src/host/served.js';
import { observeSshKey } from '../../src/host/ssh-key.js';
import { borgTarget } from '../../src/host/targets.js';
import type { Logger } from '../../src/log.js';
import { mapBounded } from '../../src/util/pool.js';
import type { ActualMachine, ObservedRepository } from './model.js';
import { repositorySpec, retentionSpec } from './specs.js';

export interface ObserveContext {
  paths: HostPaths;
  borg: Borg;
  scheduler: Scheduler;
  /** Other scheduler backends, by name, to find jobs the ledger says were installed with them. */
  schedulers?: Record<string, Scheduler>;
  /** Ask borg about every destination, not only those whose declarations or last backup changed. */
  refresh: boolean;
  /** Repositories observed at once (never two processes on one repository). */
  concurrency?: number;
  logger: Logger;
}

/**
 * A destination's repository needs a borg process only when something may have moved: it is not
 * in the ledger, its declaration changed since the last apply, its last backup failed, or the
 * user asked to refresh. Everything else comes from the ledger, so a hooks-only change costs no
 * borg process at all.
 */
function needsBorg(destination: DesiredDestination, ledger: Ledger, runs: Runs, refresh: boolean): boolean {
  if (refresh) return true;
  const repository = ledger.entries[`repository/${destination.name}`];
  const retention = ledger.entries[`retention/${destination.name}`];
  if (repository?.spec !== repositorySpec(destination)) return true;
  if (retention?.spec !== retentionSpec(destination)) return true;
  return runs.destinations[destination.name]?.error !== undefined;
}

async function observeRepositories(
  context: ObserveContext,
  desired: DesiredMachine,
  ledger: Ledger,
  secrets: ActualMachine['secrets'],
): Promise<Record<string, ObservedRepository>> {
  const runs = await readRuns(context.paths.runs);
  const result: Record<string, ObservedRepository> = {};
  // one borg list per repository, shared by destinations that write to the same one
  const byRepository = new Map<string, DesiredDestination[]>();
  for (const destination of desired.destinations) {
    if (secrets[destination.name]?.committed === 'unreadable') {
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
      passphraseExists: secrets[first.name]?.passphrase ?? false,
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

/** The committed passphrase borgops uses for a destination: none when a passCommand wins or nothing is encrypted. */
export function committedPassphrase(destination: DesiredDestination) {
  if (destination.encryption.mode === 'none' || destination.encryption.passCommand !== undefined)
    return undefined;
  return destination.committed?.passphrase;
}

/** The actual state of every resource of the machine, as plain data. */
export async function observe(context: ObserveContext, desired: DesiredMachine): Promise<ActualMachine> {
  const { paths } = context;
  const ledger = await readLedger(paths.ledger);

  const secrets: ActualMachine['secrets'] = {};
  for (const destination of desired.destinations) {
    const committed = committedPassphrase(destination);
    secrets[destination.name] = await observeSecret(
      paths.secretsDir,
      destination.name,
      committed === undefined ? undefined : { armored: committed.armored, identity: paths.sshKey },
    );
  }

  const hookFiles = await observeHooks(paths.hooksDir);
  const hookNames = new Set([
    ...desired.hooks.map((h) => h.name),
    ...Object.keys(ledger.entries)
      .filter((id) => id.startsWith('hook/'))
      .map((id) => id.slice('hook/'.length)),
  ]);
  const hooks: ActualMachine['hooks'] = {};
  for (const name of [...hookNames].sort()) hooks[name] = hookFiles[name] ?? null;

  const schedules: ActualMachine['schedules'] = {};
  for (const job of await context.scheduler.observe()) schedules[job.destination] = job;
  const otherBackends = new Set(
    Object.values(ledger.entries)
      .filter(
        (entry) =>
          entry.kind === 'schedule' &&
          entry.backend !== undefined &&
          entry.backend !== context.scheduler.name,
      )
      .map((entry) => entry.backend!),
  );
  for (const backend of otherBackends) {
    const scheduler = context.schedulers?.[backend];
    if (!scheduler) continue;
    for (const job of await scheduler.observe()) schedules[`${backend}:${job.destination}`] = job;
  }

  const served: ActualMachine['served'] = {};
  for (const repository of desired.served) {
    served[repository.client] = await observeServed(underRoot(paths.root, repository.path));
  }
  const authorizedKeys: ActualMachine['authorizedKeys'] = {};
  const files = new Set([
    ...desired.authorizedKeys.map((k) => authorizedKeysPath(paths.root, k.home)),
    ...Object.values(ledger.entries).flatMap((entry) =>
      entry.kind === 'authorized-key' ? (entry.paths ?? []) : [],
    ),
  ]);
  for (const file of [...files].sort()) authorizedKeys[file] = (await readAuthorizedKeys(file)) ?? null;

  const managed = managesAccounts(paths.root);
  const users: ActualMachine['accounts']['users'] = {};
  if (managed) {
    for (const user of desired.serverUsers) users[user.name] = (await lookupUser(user.name)) ?? null;
  }

  return {
    repositories: await observeRepositories(context, desired, ledger, secrets),
    hooks,
    secrets,
    sshKey: await observeSshKey(paths.sshKey),
    scheduler: context.scheduler.name,
    schedules,
    served,
    authorizedKeys,
    accounts: { managed, users },
    ledger,
    backedUp: await backedUp(paths.runs),
  };
}

/** Destinations with a successful backup on record: a repository was there, whatever the ledger says. */
async function backedUp(runsPath: string): Promise<string[]> {
  const runs = await readRuns(runsPath);
  return Object.entries(runs.destinations)
    .filter(([, run]) => run.lastSuccess !== undefined || run.archive !== undefined)
    .map(([name]) => name)
    .sort();
}
