// engine/: load the declarations, observe the host, plan, guard and apply. The bottom room of
// reconcile/: it imports only src/ and itself (ARCHITECTURE.md).
import type { Borg } from '../../src/borg/types.js';
import { compile } from '../../src/desired/compile.js';
import { jobArguments } from '../../src/desired/jobs.js';
import type { DesiredMachine } from '../../src/desired/types.js';
import { BorgopsError, errorMessage } from '../../src/errors.js';
import { saveApplied } from '../../src/host/applied.js';
import { acquireLock } from '../../src/host/lock.js';
import { type HostPaths, hostPaths } from '../../src/host/paths.js';
import { type AttemptResult, recordAttempt } from '../../src/host/status.js';
import type { Logger } from '../../src/log.js';
import { appliedSettingChanges } from './applied-settings.js';
import { type ApplyContext, type ApplyResult, apply } from './apply.js';

import { type LoadedSource, loadSource, requireValid, type SourceOptions } from './declarations.js';
import { jobEntry } from './entry.js';
import type { Action, ActualMachine, GuardName, Plan } from './model.js';
import { observe } from './observe.js';
import { plan } from './plan.js';
import { receiverNotes } from './receivers.js';
import { checkSavedPlan, readSavedPlan } from './saved-plan.js';
import {
  resolveSchedulerChoice,
  type SchedulerChoice,
  type SchedulerHost,
  type SchedulerSet,
  selectScheduler,
} from './schedulers.js';

export interface ConvergeOptions extends SourceOptions {
  machine: string;
  root: string;
  stateDir: string;
  refresh: boolean;
  /** `--scheduler`: overrides the declared `scheduler` setting for this run; absent: the declared one, else auto. */
  scheduler?: SchedulerChoice;
  logger: Logger;
  borg: Borg;
  now?: () => Date;
  /** What the scheduler selection knows of the host (tests say whether systemd runs). */
  schedulerHost?: SchedulerHost;
  /** The host paths of root and stateDir, when the command computed them already. */
  paths?: HostPaths;
}

/** The host paths a converge works on: the command's, else computed once from root and stateDir. */
export function convergePaths(options: Pick<ConvergeOptions, 'root' | 'stateDir' | 'paths'>): HostPaths {
  return options.paths ?? hostPaths(options.root, options.stateDir);
}

export interface Planned {
  loaded: LoadedSource;
  desired: DesiredMachine;
  actual: ActualMachine;
  plan: Plan;
  paths: HostPaths;
  schedulers: SchedulerSet;
}

/**
 * The command a scheduled job runs: this borgops, against the applied declarations. `key` is the
 * job's key: a destination (its backup), or `check:<d>`, `verify-data:<d>`, `drill:<d>`.
 */
export function jobCommand(paths: HostPaths, machine: string, key: string): string[] {
  return [
    process.execPath,
    jobEntry(),
    ...jobArguments(machine, key),
    '--root',
    paths.root,
    '--state-dir',
    paths.stateDir,
  ];
}

/** Load → validate → compile → observe → plan, for one machine. */
export async function makePlan(options: ConvergeOptions, loaded?: LoadedSource): Promise<Planned> {
  const paths = convergePaths(options);
  const source = loaded ?? (await loadSource({ ...options, syntaxCache: paths.bashSyntax }));
  const { declarations } = requireValid(source);
  const desired = compile(declarations, options.machine);
  const { choice, override } = resolveSchedulerChoice(options.scheduler, desired.scheduler);
  if (override !== undefined) options.logger.warn({ machine: options.machine }, override);
  const schedulers = selectScheduler(choice, paths, {
    logger: options.logger,
    ...options.schedulerHost,
  });
  const before = options.borg.processCount;
  const actual = await observe(
    {
      paths,
      borg: options.borg,
      scheduler: schedulers.active,
      schedulers: schedulers.all,
      refresh: options.refresh,
      logger: options.logger,
    },
    desired,
  );
  const result = plan(desired, actual, {
    paths,
    renderJob: (job) => schedulers.active.render(job),
    jobCommand: (destination) => jobCommand(paths, options.machine, destination),
    worktree: source.snapshot.worktree,
    refresh: options.refresh,
    now: options.now?.() ?? new Date(),
    borgProcesses: options.borg.processCount - before,
  });
  const settings = await appliedSettingChanges(paths, desired);
  if (settings.length > 0) {
    result.settings = settings;
    result.summary.change += settings.length;
  }
  if (override !== undefined) result.notes.push(override);
  if (schedulers.note !== undefined) result.notes.push(schedulers.note);
  result.notes.push(...(await receiverNotes(paths, desired)));
  return { loaded: source, desired, actual, plan: result, paths, schedulers };
}

export interface ApplyOptions extends ConvergeOptions {
  allow: ReadonlySet<GuardName>;
  /** A saved plan (`plan --out`) to apply exactly, or refuse when what it was made from moved. */
  planFile?: string;
  onAction?: (action: Action, index: number, total: number) => void;
  /** The plan about to be applied, before its first step (so output reads plan, steps, result). */
  onPlan?: (plan: Plan) => void;
  /** Declarations already loaded (the watch agent reads a commit once, or the applied snapshot). */
  loaded?: LoadedSource;
}

export interface Applied {
  planned: Planned;
  result: ApplyResult;
}

function applyContext(options: ApplyOptions, planned: Planned): ApplyContext {
  return {
    paths: planned.paths,
    borg: options.borg,
    scheduler: planned.schedulers.active,
    schedulers: planned.schedulers.all,
    logger: options.logger,
    allow: options.allow,
    // the ledger's appliedAt from the clock the plan was made with
    ...(options.now ? { now: options.now } : {}),
    ...(options.onAction ? { onAction: options.onAction } : {}),
  };
}

/** Plans (or checks a saved plan) and applies it under the state directory's lock. */
export async function runApply(options: ApplyOptions): Promise<Applied> {
  const started = Date.now();
  const paths = convergePaths(options);
  const saved = options.planFile === undefined ? undefined : await readSavedPlan(options.planFile);
  if (saved && saved.machine !== options.machine) {
    throw new BorgopsError(
      'E_GUARD',
      `the plan is for machine "${saved.machine}", not "${options.machine}"; refusing it`,
    );
  }
  const lock = await acquireLock(paths.lock, `apply ${options.machine}`);
  let attempt: AttemptResult = 'failed';
  let commit: string | undefined;
  let errors: string[] = [];
  // undefined until the plan is made: an attempt that never planned keeps the warnings on record
  let warnings: readonly string[] | undefined;
  let actions = 0;
  try {
    const converge = {
      ...options,
      paths,
      ...(saved
        ? { ref: saved.commit ?? options.ref, worktree: saved.worktree, refresh: saved.refresh }
        : {}),
    };
    const planned = await makePlan(converge, saved ? undefined : options.loaded);
    commit = planned.desired.commit;
    warnings = planned.plan.warnings;
    if (saved) {
      try {
        checkSavedPlan(saved, planned.plan);
      } catch (error: unknown) {
        attempt = 'refused';
        throw error;
      }
    }
    // always the recomputed plan: a saved one only approves it (refusals never come from the file)
    const chosen = planned.plan;
    options.onPlan?.(chosen);
    // observe read the ledger under this same lock; apply updates a copy (the plan keeps what it saw)
    const ledger = structuredClone(planned.actual.ledger);
    let result: ApplyResult;
    try {
      result = await apply(applyContext(options, planned), planned.desired, chosen, ledger);
    } catch (error: unknown) {
      if (error instanceof BorgopsError && error.code === 'E_GUARD') attempt = 'refused';
      throw error;
    }
    actions = result.done.length;
    errors = result.errors.map((e) => e.message);
    attempt = errors.length === 0 ? 'applied' : 'partial';
    await saveApplied(paths.applied, planned.loaded.snapshot.commit, planned.loaded.snapshot.files);
    return { planned, result };
  } catch (error: unknown) {
    if (error instanceof BorgopsError && error.code === 'E_CONFIG') attempt = 'invalid';
    errors =
      errors.length > 0 ? errors : [error instanceof Error ? error.message.split('\n')[0]! : String(error)];
    throw error;
  } finally {
    // the apply's own error (or result) matters more than a failure to record it
    await recordAttempt(paths.status, {
      machine: options.machine,
      result: attempt,
      ...(commit === undefined ? {} : { commit }),
      actions,
      errors,
      ...(warnings === undefined ? {} : { warnings }),
      durationMs: Date.now() - started,
      at: options.now?.() ?? new Date(),
    }).catch((error: unknown) =>
      options.logger.warn({ err: errorMessage(error) }, 'cannot record the attempt'),
    );
    await lock.release();
  }
}
