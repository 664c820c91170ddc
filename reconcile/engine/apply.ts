import { dirname, join } from 'node:path';
import type { Borg } from '../../src/borg/types.js';
import type { DesiredDestination, DesiredMachine } from '../../src/desired/types.js';
import { BorgopsError, errorMessage } from '../../src/errors.js';
import { chownTo, createSystemUser, lookupUser, type SystemUser } from '../../src/host/accounts.js';
import { removeHook, removeStaleTemporaryFiles, writeHook } from '../../src/host/hooks.js';
import { type Ledger, type LedgerEntry, writeLedger } from '../../src/host/ledger.js';
import type { HostPaths } from '../../src/host/paths.js';
import { underRoot } from '../../src/host/paths.js';
import type { Scheduler } from '../../src/host/schedulers/types.js';
import { exportedKeyPath, generatePassphrase } from '../../src/host/secrets.js';
import { createServed, updateAuthorizedKeys } from '../../src/host/served.js';
import { generateSshKey } from '../../src/host/ssh-key.js';
import { borgTarget } from '../../src/host/targets.js';
import type { Logger } from '../../src/log.js';
import type { Action, GuardName, Plan, PlanError } from './model.js';
import { pruneArchives } from './retention.js';
import { repositorySpec, retentionSpec } from './specs.js';

export interface ApplyContext {
  paths: HostPaths;
  borg: Borg;
  scheduler: Scheduler;
  schedulers?: Record<string, Scheduler>;
  logger: Logger;
  /** Guards the user explicitly allowed (`--allow-large-prune` …). */
  allow: ReadonlySet<GuardName>;
  /** Called before each action (progress on long work). */
  onAction?: (action: Action, index: number, total: number) => void;
}

export interface ApplyResult {
  done: Action[];
  errors: PlanError[];
  borgProcesses: number;
}

/**
 * Keeps the first-apply time of every declared destination (a new one starts now, an undeclared
 * one is forgotten): freshness counts from it until a backup succeeds, whatever reconciles since.
 */
export function startClocks(
  previous: Ledger['destinations'],
  declared: readonly DesiredDestination[],
  at: string,
): NonNullable<Ledger['destinations']> {
  const clocks: NonNullable<Ledger['destinations']> = {};
  for (const { name } of declared) clocks[name] = previous?.[name] ?? { firstAppliedAt: at };
  return clocks;
}

const keyModes = ['repokey', 'repokey-blake2', 'keyfile', 'keyfile-blake2'];

/** Refuses the whole plan when a guard the user did not allow would trip (nothing is changed). */
export function checkGuards(result: Plan, allow: ReadonlySet<GuardName>): void {
  const refused = result.refusals.filter((refusal) => !allow.has(refusal.guard));
  if (refused.length === 0) return;
  throw new BorgopsError('E_GUARD', `refused by ${refused.length} safety guard(s); nothing was changed`, {
    details: refused.map((refusal) => refusal.message),
  });
}

function now(): string {
  return new Date().toISOString();
}

/**
 * Executes a plan's actions in order. An action that fails is reported and the others go on
 * (one unreachable destination must not stop the rest); the ledger is written after every
 * step, so a kill at any point leaves a state the next run converges from.
 */
export async function apply(
  context: ApplyContext,
  desired: DesiredMachine,
  result: Plan,
  ledger: Ledger,
): Promise<ApplyResult> {
  checkGuards(result, context.allow);
  const { paths, borg, logger } = context;
  const startProcesses = borg.processCount;
  const destinations = new Map(desired.destinations.map((d) => [d.name, d]));
  const done: Action[] = [];
  const errors: PlanError[] = [...result.errors];
  const failedDestinations = new Set(result.errors.map((e) => e.destination).filter((d) => d !== undefined));
  const stale = await removeStaleTemporaryFiles(paths.hooksDir);
  if (stale.length > 0) logger.warn({ files: stale }, 'removed temporary files of an interrupted apply');
  const record = async (id: string, entry: Omit<LedgerEntry, 'appliedAt' | 'commit'> | undefined) => {
    if (entry === undefined) delete ledger.entries[id];
    else
      ledger.entries[id] = {
        ...entry,
        appliedAt: now(),
        ...(desired.commit === undefined ? {} : { commit: desired.commit }),
      };
    await writeLedger(paths.ledger, ledger);
  };
  const destinationOf = (name: string): DesiredDestination => {
    const destination = destinations.get(name);
    if (!destination)
      throw new BorgopsError('E_USAGE', `the plan names destination "${name}", which is not declared`);
    return destination;
  };

  for (const [index, action] of result.actions.entries()) {
    const destinationName = 'destination' in action ? action.destination : undefined;
    if (
      destinationName !== undefined &&
      failedDestinations.has(destinationName) &&
      action.kind !== 'schedule'
    ) {
      logger.warn({ id: action.id }, 'skipped: an earlier step of this destination failed');
      continue;
    }
    context.onAction?.(action, index, result.actions.length);
    try {
      await execute(action);
      done.push(action);
      logger.info({ id: action.id, op: action.op }, 'applied');
    } catch (error: unknown) {
      const message = `${action.id}: ${errorMessage(error)}`;
      logger.error({ id: action.id, op: action.op, err: error }, 'action failed');
      errors.push({
        id: action.id,
        ...(destinationName === undefined ? {} : { destination: destinationName }),
        message,
      });
      if (destinationName !== undefined) failedDestinations.add(destinationName);
    }
  }

  await syncLedger();
  return { done, errors, borgProcesses: borg.processCount - startProcesses };

  async function execute(action: Action): Promise<void> {
    switch (action.op) {
      case 'ssh-key.create':
        await generateSshKey(paths.sshKey, `borgops@${desired.machine}`);
        await record(action.id, { kind: 'ssh-key', paths: [paths.sshKey] });
        return;
      case 'secret.create':
        await generatePassphrase(paths.secretsDir, action.destination);
        return;
      case 'repository.init': {
        const destination = destinationOf(action.destination);
        const target = borgTarget(destination, paths);
        await borg.init(target, destination.encryption.mode);
        await record(action.id, { kind: 'repository', spec: repositorySpec(destination) });
        await record(`retention/${destination.name}`, {
          kind: 'retention',
          spec: retentionSpec(destination),
        });
        if (keyModes.includes(destination.encryption.mode)) {
          await borg.exportKey(target, exportedKeyPath(paths.secretsDir, destination.name));
        }
        return;
      }
      case 'retention.prune': {
        const destination = destinationOf(action.destination);
        const target = borgTarget(destination, paths);
        await pruneArchives(borg, target, action.archives, destination.archivePrefix);
        await record(action.id, { kind: 'retention', spec: retentionSpec(destination) });
        return;
      }
      case 'hook.write':
        await record(action.id, { kind: 'hook', paths: [join(paths.hooksDir, action.name)] });
        await writeHook(paths.hooksDir, action.name, action.content);
        return;
      case 'hook.remove':
        await removeHook(paths.hooksDir, action.name);
        await record(action.id, undefined);
        return;
      case 'schedule.install': {
        const previous = ledger.entries[action.id];
        // a job moving to another backend: the old one stays in the ledger until it is removed
        if (previous?.backend !== undefined && previous.backend !== context.scheduler.name) {
          await record(`${action.id}@${previous.backend}`, {
            kind: 'schedule',
            backend: previous.backend,
            ...(previous.paths === undefined ? {} : { paths: previous.paths }),
          });
        }
        await record(action.id, { kind: 'schedule', backend: context.scheduler.name });
        const written = await context.scheduler.install(action.job);
        await record(action.id, { kind: 'schedule', backend: context.scheduler.name, paths: written });
        return;
      }
      case 'schedule.remove': {
        const scheduler =
          action.backend === context.scheduler.name
            ? context.scheduler
            : context.schedulers?.[action.backend];
        if (!scheduler)
          throw new BorgopsError('E_HOST', `no ${action.backend} scheduler to remove the job from`);
        await scheduler.remove(action.destination);
        const id = `schedule/${action.destination}`;
        if (ledger.entries[id]?.backend === action.backend) await record(id, undefined);
        if (ledger.entries[`${id}@${action.backend}`]) await record(`${id}@${action.backend}`, undefined);
        return;
      }
      case 'server-user.create':
        await createSystemUser({ name: action.user, home: action.home });
        return;
      case 'served.create': {
        const path = underRoot(paths.root, action.path);
        await createServed(path);
        if (action.owner !== undefined) await chownTo([dirname(path), path], await ownerOf(action.owner));
        await record(action.id, { kind: 'served-repository', paths: [action.path] });
        return;
      }
      case 'authorized-key.set':
        await updateAuthorizedKeys(action.file, action.remove, action.add);
        if (action.owner !== undefined) {
          const sshDir = dirname(action.file);
          await chownTo([dirname(sshDir), sshDir, action.file], await ownerOf(action.owner));
        }
        await record(
          action.id,
          action.add.length === 0
            ? undefined
            : { kind: 'authorized-key', paths: [action.file], lines: action.add },
        );
        return;
    }
  }

  async function ownerOf(name: string): Promise<SystemUser> {
    const user = await lookupUser(name);
    if (!user)
      throw new BorgopsError('E_HOST', `user ${name} does not exist; it should own the repositories`);
    return user;
  }

  /** Records what is converged now, and forgets what is no longer declared. */
  async function syncLedger(): Promise<void> {
    const declared = new Set(desired.resources.map((r) => r.id));
    for (const resource of desired.resources) {
      const existing = ledger.entries[resource.id];
      if (resource.kind === 'repository' || resource.kind === 'retention') {
        const name = resource.kind === 'repository' ? resource.destination.name : resource.destination;
        if (failedDestinations.has(name)) continue;
        const destination = destinationOf(name);
        const spec =
          resource.kind === 'repository' ? repositorySpec(destination) : retentionSpec(destination);
        const pending = result.actions.some((a) => a.id === resource.id && !done.includes(a));
        if (!pending && existing?.spec !== spec)
          ledger.entries[resource.id] = { kind: resource.kind, spec, appliedAt: now() };
      }
      if (resource.kind === 'hook' && !existing) {
        ledger.entries[resource.id] = {
          kind: 'hook',
          paths: [join(paths.hooksDir, resource.hook.name)],
          appliedAt: now(),
        };
      }
      if (resource.kind === 'schedule' && !existing) {
        ledger.entries[resource.id] = { kind: 'schedule', backend: context.scheduler.name, appliedAt: now() };
      }
    }
    for (const [id, entry] of Object.entries(ledger.entries)) {
      if (declared.has(id)) continue;
      // undeclared repositories were noted once and are left in place; forget them
      if (entry.kind === 'repository' || entry.kind === 'retention' || entry.kind === 'served-repository')
        delete ledger.entries[id];
    }
    ledger.destinations = startClocks(ledger.destinations, desired.destinations, now());
    await writeLedger(paths.ledger, { ...ledger, machine: desired.machine });
  }
}
