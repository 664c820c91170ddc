import { join } from 'node:path';
import type { DesiredMachine, Resource } from '../../src/desired/types.js';
import { HOOK_MODE } from '../../src/host/hooks.js';
import type { HostPaths } from '../../src/host/paths.js';
import { type JobFile, type ScheduledJob, sameJobFiles } from '../../src/host/schedulers/types.js';
import { formatDuration } from '../../src/util/duration.js';
import { hashOf } from '../../src/util/hash.js';
import { pruneRefusal, removeAllRefusal } from './guards.js';
import type { Action, ActualMachine, FileDiff, Plan, PlanError, Refusal } from './model.js';
import { planServer } from './plan-server.js';
import { keyWarnings, sshNotes } from './plan-ssh.js';
import { destinationRetention } from './retention.js';

export interface PlanOptions {
  paths: HostPaths;
  /** Renders a job to the files of the active scheduler backend (pure). */
  renderJob(job: ScheduledJob): JobFile[];
  /** argv of the backup command a job runs for a destination. */
  jobCommand(destination: string): string[];
  worktree: boolean;
  refresh: boolean;
  now: Date;
  borgProcesses?: number;
}

type Of<K extends Resource['kind']> = Extract<Resource, { kind: K }>;

function ofKind<K extends Resource['kind']>(desired: DesiredMachine, kind: K): Of<K>[] {
  return desired.resources.filter((r): r is Of<K> => r.kind === kind);
}

function ledgerIds(actual: ActualMachine, kind: string): string[] {
  return Object.keys(actual.ledger.entries).filter((id) => actual.ledger.entries[id]?.kind === kind);
}

function fileDiffs(before: readonly JobFile[], after: readonly JobFile[]): FileDiff[] {
  const paths = [...new Set([...before.map((f) => f.path), ...after.map((f) => f.path)])].sort();
  return paths.map((path) => ({
    path,
    before: before.find((f) => f.path === path)?.content ?? '',
    after: after.find((f) => f.path === path)?.content ?? '',
  }));
}

/** desired × actual → the ordered actions that make them agree. Pure: no I/O, same input, same plan. */
export function plan(desired: DesiredMachine, actual: ActualMachine, options: PlanOptions): Plan {
  const actions: Action[] = [];
  const notes: string[] = [];
  const errors: PlanError[] = [];
  const refusals: Refusal[] = [];
  const { paths } = options;
  const desiredIds = new Set(desired.resources.map((r) => r.id));

  if (ofKind(desired, 'ssh-key').length > 0 && !actual.sshKey.exists) {
    actions.push({
      op: 'ssh-key.create',
      id: 'ssh-key/client',
      kind: 'ssh-key',
      effect: 'additive',
      summary: `generate this machine's ed25519 key ${paths.sshKey} (\`borgops keys show\` prints it, to commit as machines/${desired.machine}/borgbackup.ssh.pub)`,
    });
  }

  for (const destination of desired.destinations) {
    const name = destination.name;
    const repository = actual.repositories[name];
    const needsSecret = desiredIds.has(`secret/${name}`) && !actual.secrets[name]?.passphrase;
    // a server's empty client directory looks like "not a repository" from the client; borg init refuses anything but empty
    const emptyServed =
      repository?.state === 'failed' &&
      repository.failure === 'not-a-repository' &&
      destination.server !== undefined;
    if (repository?.state === 'failed' && !emptyServed) {
      errors.push({ id: `repository/${name}`, destination: name, message: repository.message });
      continue;
    }
    if (repository?.state === 'missing' || emptyServed) {
      if (needsSecret) {
        actions.push({
          op: 'secret.create',
          id: `secret/${name}`,
          kind: 'secret',
          destination: name,
          effect: 'additive',
          summary: `generate the passphrase of ${name} (${join(paths.secretsDir, `${name}.passphrase`)}, 0600)`,
        });
      }
      const init: Action = {
        op: 'repository.init',
        id: `repository/${name}`,
        kind: 'repository',
        destination: name,
        effect: 'additive',
        summary: `borg init --encryption ${destination.encryption.mode} ${destination.repo}${destination.encryption.mode.startsWith('repokey') || destination.encryption.mode.startsWith('keyfile') ? ', then export its key' : ''}`,
      };
      actions.push(init);
      if (actual.ledger.entries[`repository/${name}`]) {
        refusals.push({
          guard: 'reinit',
          id: init.id,
          message: `${name}: borgops initialized ${destination.repo} before and it is missing now (an unmounted disk? deleted?); --allow-reinit creates it again, empty`,
        });
      }
      continue;
    }
    if (needsSecret) {
      errors.push({
        id: `secret/${name}`,
        destination: name,
        message: `${name}: the repository exists but its passphrase file ${join(paths.secretsDir, `${name}.passphrase`)} is missing; restore it, or declare encryption.passCommand`,
      });
      continue;
    }
    if (repository?.state !== 'present') continue;
    const { own, plan: retention } = destinationRetention(destination, repository.archives, options.now);
    if (retention.pruned.length === 0) continue;
    const total = own.length;
    const prune: Action = {
      op: 'retention.prune',
      id: `retention/${name}`,
      kind: 'retention',
      destination: name,
      archives: retention.pruned,
      kept: total - retention.pruned.length,
      total,
      effect: 'destructive',
      summary: `prune ${retention.pruned.length} of ${total} archives of ${destination.archivePrefix}* (keep ${total - retention.pruned.length}), then compact`,
    };
    actions.push(prune);
    const refusal = pruneRefusal(name, prune.id, retention.pruned.length, total);
    if (refusal) refusals.push(refusal);
  }
  for (const id of ledgerIds(actual, 'repository')) {
    if (desiredIds.has(id)) continue;
    notes.push(
      `${id} is no longer declared: the repository and its archives are left in place (borgops never deletes a repository); its secrets stay in ${paths.secretsDir}`,
    );
  }

  for (const { hook } of ofKind(desired, 'hook')) {
    const found = actual.hooks[hook.name];
    const path = join(paths.hooksDir, hook.name);
    if (found && found.content === hook.content && found.mode === HOOK_MODE) continue;
    const modeOnly = found && found.content === hook.content;
    actions.push({
      op: 'hook.write',
      id: `hook/${hook.name}`,
      kind: 'hook',
      name: hook.name,
      state: hook.state,
      phase: hook.phase,
      content: hook.content,
      diff: { path, before: found?.content ?? '', after: hook.content },
      effect: found ? 'mutating' : 'additive',
      summary: found
        ? modeOnly
          ? `restore mode 0700 of ${path}`
          : `update ${path}`
        : `install ${path} (0700)`,
    });
  }
  for (const id of ledgerIds(actual, 'hook')) {
    if (desiredIds.has(id)) continue;
    const name = id.slice('hook/'.length);
    const found = actual.hooks[name];
    const path = join(paths.hooksDir, name);
    if (!found) continue;
    actions.push({
      op: 'hook.remove',
      id,
      kind: 'hook',
      name,
      diff: { path, before: found.content, after: '' },
      effect: 'destructive',
      summary: `remove ${path} (its declaration is gone)`,
    });
  }

  for (const schedule of ofKind(desired, 'schedule')) {
    const job: ScheduledJob = {
      machine: desired.machine,
      destination: schedule.destination,
      startAt: schedule.startAt,
      staggerSeconds: schedule.staggerSeconds,
      command: options.jobCommand(schedule.destination),
    };
    const files = options.renderJob(job);
    const found = actual.schedules[schedule.destination];
    if (found?.active && sameJobFiles(found.files, files)) continue;
    const changed = found !== undefined && !sameJobFiles(found.files, files);
    actions.push({
      op: 'schedule.install',
      id: schedule.id,
      kind: 'schedule',
      job,
      diffs: fileDiffs(found?.files ?? [], files).filter((diff) => diff.before !== diff.after),
      effect: found ? 'mutating' : 'additive',
      summary: !found
        ? `install a ${actual.scheduler} job for ${schedule.destination} (${schedule.startAt.join(', ')}${schedule.staggerSeconds > 0 ? `, stagger +${formatDuration(schedule.staggerSeconds)}` : ''})`
        : changed
          ? `update the ${actual.scheduler} job of ${schedule.destination}${found.active ? '' : ` and re-activate it: ${found.reason ?? 'inactive'}`}`
          : `re-activate the ${actual.scheduler} job of ${schedule.destination}: ${found.reason ?? 'inactive'}`,
    });
  }
  const removals = new Set<string>();
  for (const id of ledgerIds(actual, 'schedule')) {
    const entry = actual.ledger.entries[id]!;
    // `schedule/<d>` is the current job; `schedule/<d>@<backend>` one of a backend it was moved away from
    const [destination = '', previous] = id.slice('schedule/'.length).split('@');
    const backend = previous ?? entry.backend ?? actual.scheduler;
    const sameBackend = backend === actual.scheduler;
    if (sameBackend && desiredIds.has(`schedule/${destination}`)) continue;
    const actionId = sameBackend ? `schedule/${destination}` : `schedule/${destination}@${backend}`;
    if (removals.has(actionId)) continue;
    removals.add(actionId);
    const found = actual.schedules[sameBackend ? destination : `${backend}:${destination}`];
    actions.push({
      op: 'schedule.remove',
      id: actionId,
      kind: 'schedule',
      destination,
      backend,
      diffs: fileDiffs(found?.files ?? [], []),
      effect: 'destructive',
      summary: !found
        ? `forget the ${backend} job of ${destination}: it is already gone`
        : sameBackend
          ? `remove the ${backend} job of ${destination} (its destination is gone)`
          : `remove the ${backend} job of ${destination} (the scheduler is now ${actual.scheduler})`,
    });
  }

  const server = planServer(desired, actual, paths);
  actions.push(...server.actions);
  notes.push(...server.notes, ...sshNotes(desired, paths));
  errors.push(...server.errors);
  guardRemoveAll(desired, actual, refusals);

  const summary = { add: 0, change: 0, destroy: 0, archives: 0 };
  for (const action of actions) {
    if (action.effect === 'additive') summary.add++;
    else if (action.effect === 'mutating') summary.change++;
    else summary.destroy++;
    if (action.op === 'retention.prune') summary.archives += action.archives.length;
  }
  return {
    version: 1,
    machine: desired.machine,
    ...(desired.commit === undefined ? {} : { commit: desired.commit }),
    worktree: options.worktree,
    createdAt: options.now.toISOString(),
    fingerprint: fingerprint(desired, actual, options.worktree),
    refresh: options.refresh,
    scheduler: actual.scheduler,
    actions,
    notes,
    warnings: [...desired.warnings, ...server.warnings, ...keyWarnings(desired, actual, paths)],
    errors,
    refusals,
    summary,
    borgProcesses: options.borgProcesses ?? 0,
  };
}

/** Argo CD's "never prune an application to nothing": removing all of a machine's backups needs consent. */
function guardRemoveAll(desired: DesiredMachine, actual: ActualMachine, refusals: Refusal[]): void {
  const had = {
    schedules: ledgerIds(actual, 'schedule').length > 0,
    hooks: ledgerIds(actual, 'hook').length > 0,
  };
  const counts = { destinations: desired.destinations.length, states: desired.states.length };
  const refusal = removeAllRefusal(desired.machine, had, counts);
  if (refusal) refusals.push(refusal);
}

/** Changes when the declarations or anything observed changes; stable otherwise. */
export function fingerprint(desired: DesiredMachine, actual: ActualMachine, worktree: boolean): string {
  return hashOf({
    machine: desired.machine,
    commit: desired.commit ?? null,
    worktree,
    resources: desired.resources,
    actual,
  });
}
