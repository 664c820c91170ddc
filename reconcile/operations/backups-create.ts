import { cpus } from 'node:os';
import type { Borg, CreateProgress } from '../../src/borg/types.js';
import { repositoryKey } from '../../src/config/rules.js';
import type { DesiredDestination, DesiredMachine, HookPhase } from '../../src/desired/types.js';
import { BorgopsError, errorMessage } from '../../src/errors.js';
import { waitForLock } from '../../src/host/lock.js';
import type { HostPaths } from '../../src/host/paths.js';
import { type HookRun, runHook } from '../../src/host/run-hook.js';
import { type DestinationRun, type KnownArchives, updateRun } from '../../src/host/runs.js';
import type { Logger } from '../../src/log.js';
import type { DeliveryReport, Notifier } from '../../src/notify/notifier.js';
import { mapBounded } from '../../src/util/pool.js';
import { sameData } from '../../src/util/same-data.js';
import { appliedMachine, findDestination } from './applied-machine.js';
import { backupDestination, type DestinationResult } from './backup-destination.js';
import { countingNotifier, resultMessage, startMessage } from './backup-notify.js';
import { overdueMessages } from './notify-overdue.js';

export type RunEvent =
  | { type: 'waiting'; message: string }
  | { type: 'hook'; name: string }
  | { type: 'destination'; destination: string }
  /** A script finished: its result, as it happens (the run's summary comes at the end). */
  | { type: 'hook-done'; hook: HookRun }
  /** A destination finished (created, failed or skipped): its result, as it happens. */
  | { type: 'destination-done'; result: DestinationResult };

/** A scheduled job has no timeout of its own: a wait for a hung holder must end, naming it. */
export const DEFAULT_LOCK_TIMEOUT_SECONDS = 6 * 3600;

export interface CreateBackupsOptions {
  paths: HostPaths;
  borg: Borg;
  logger: Logger;
  /** Default: the machine the declarations were applied for. */
  machine?: string;
  /** Only this destination (what a scheduled job runs); default all. */
  destination?: string;
  /** Destinations backed up at once when they are in different repositories (default: one more than the cores, at least 3). */
  parallel?: number;
  /** Aborts borg (SIGINT) and pre-backup scripts; post-backup scripts still run. */
  signal?: AbortSignal;
  /** How long to wait for another backup or restore of this state directory (default 6 h); then an error naming it. */
  lockTimeoutSeconds?: number;
  now?: () => Date;
  onProgress?: (destination: string, progress: CreateProgress) => void;
  onEvent?: (event: RunEvent) => void;
}

export interface BackupRun {
  machine: string;
  commit?: string;
  startedAt: string;
  durationSeconds: number;
  interrupted: boolean;
  preBackup: HookRun[];
  destinations: DestinationResult[];
  postBackup: HookRun[];
  /** What each notification receiver was sent and answered (names and events, never a URL). */
  notifications: DeliveryReport[];
}

/** True when every script and destination succeeded (warnings allowed) and nothing was interrupted. */
export function runSucceeded(run: BackupRun): boolean {
  return (
    !run.interrupted &&
    [...run.preBackup, ...run.postBackup].every((hook) => hook.ok) &&
    run.destinations.every((d) => d.status === 'created' && d.error === undefined)
  );
}

async function runPhase(
  options: CreateBackupsOptions,
  desired: DesiredMachine,
  phase: HookPhase,
  signal: AbortSignal | undefined,
): Promise<HookRun[]> {
  const runs: HookRun[] = [];
  for (const hook of desired.hooks.filter((h) => h.phase === phase)) {
    options.onEvent?.({ type: 'hook', name: hook.name });
    const run = await runHook(hook, {
      paths: options.paths,
      machine: desired.machine,
      logger: options.logger,
      ...(signal === undefined ? {} : { signal }),
    });
    runs.push(run);
    options.onEvent?.({ type: 'hook-done', hook: run });
  }
  return runs;
}

function skipped(desired: DesiredMachine, name: string, message: string, failure: string): DestinationResult {
  const destination = desired.destinations.find((d) => d.name === name);
  return {
    destination: name,
    repo: destination?.repo ?? '',
    status: 'skipped',
    warnings: [],
    pruned: [],
    error: { message: `${name}: ${message}`, failure },
    durationSeconds: 0,
  };
}

/** runs.json: last attempt, last success, archive, duration, error and its class, archive count, warnings, known archives. */
async function record(
  paths: HostPaths,
  result: DestinationResult,
  attemptAt: string,
  known: KnownArchives | undefined,
  basis: KnownArchives | undefined,
): Promise<void> {
  await updateRun(paths.runs, result.destination, (previous) => {
    const next: DestinationRun = {
      ...previous,
      lastAttempt: attemptAt,
      durationSeconds: result.durationSeconds,
    };
    if (result.status === 'created') {
      next.lastSuccess = new Date().toISOString();
      next.archive = result.archive;
    }
    if (result.archives !== undefined) next.archives = result.archives;
    if (known !== undefined) {
      // the record changed under this run (apply pruned meanwhile, without the backups lock): the
      // repository changed with it, so this run's fingerprint vouches for a list it never saw
      const { fingerprint: _fingerprint, ...unvouched } = known;
      next.known = sameData(previous?.known, basis) ? known : unvouched;
    }
    delete next.error;
    delete next.failure;
    delete next.warnings;
    if (result.error) {
      next.error = result.error.message;
      next.failure = result.error.failure;
    }
    if (result.warnings.length > 0) next.warnings = result.warnings;
    return next;
  });
}

/**
 * `borgops backups create`: every pre-backup script once for the whole run (any failure aborts
 * before borg starts, naming the failed states), then each destination in turn (one failing does
 * not stop the others), then every post-backup script whatever happened, also when interrupted.
 */
export async function createBackups(options: CreateBackupsOptions): Promise<BackupRun> {
  const { paths } = options;
  const { desired, commit } = await appliedMachine(paths, options.machine);
  const destinations =
    options.destination === undefined
      ? desired.destinations
      : [findDestination(desired, options.destination)];
  if (destinations.length === 0) {
    throw new BorgopsError(
      'E_USAGE',
      `machine ${desired.machine} has nothing to back up: it declares ${desired.states.length === 0 ? 'no state' : 'no destination'}`,
    );
  }
  // receivers hear in the background: a slow one never holds the backup, only its end (by its timeout)
  const notifier = countingNotifier(paths, desired.receivers, options.logger);
  let run: BackupRun | undefined;
  try {
    run = await lockedRun(options, { desired, commit, destinations, notifier });
    await tellOverdueVerifications(options, desired, destinations, notifier);
  } finally {
    const notifications = await notifier.settle();
    if (run) run.notifications = notifications;
  }
  return run;
}

/** A check or drill overdue is told once, after a backup (never in its way, never its failure). */
async function tellOverdueVerifications(
  options: CreateBackupsOptions,
  desired: DesiredMachine,
  destinations: readonly DesiredDestination[],
  notifier: Notifier,
): Promise<void> {
  try {
    const now = options.now?.() ?? new Date();
    // stale backups are the agent's to tell: this run is a backup attempt, told on its own
    const messages = await overdueMessages(options.paths, desired, destinations, now);
    for (const message of messages) notifier.send(message);
  } catch (error: unknown) {
    options.logger.warn({ err: errorMessage(error) }, 'cannot tell overdue checks and drills');
  }
}

/**
 * Each destination's borg create (or why it was skipped), recorded in runs.json as it ends:
 * destinations in different repositories run in parallel (borgmatic runs them one by one),
 * destinations sharing a repository in turn, so one repository never sees two borg at once.
 */
async function backUpDestinations(
  options: CreateBackupsOptions,
  desired: DesiredMachine,
  destinations: readonly DesiredDestination[],
  failedStates: readonly string[],
): Promise<DestinationResult[]> {
  const { paths, signal } = options;
  const groups = new Map<string, DesiredDestination[]>();
  for (const destination of destinations) {
    const key = repositoryKey(destination.repo);
    groups.set(key, [...(groups.get(key) ?? []), destination]);
  }
  const byName = new Map<string, DestinationResult>();
  let recording = Promise.resolve();
  // one more than the cores: a borg waiting on its disk or lock leaves a core to the others
  const limit = options.parallel ?? Math.max(3, cpus().length + 1);
  await mapBounded([...groups.values()], limit, async (group) => {
    for (const destination of group) {
      const attemptAt = new Date().toISOString();
      let result: DestinationResult;
      let known: KnownArchives | undefined;
      let basis: KnownArchives | undefined;
      if (signal?.aborted) {
        result = skipped(desired, destination.name, 'interrupted before it started', 'aborted');
      } else if (failedStates.length > 0) {
        const message = `not backed up: pre-backup failed for ${failedStates.join(', ')}`;
        result = skipped(desired, destination.name, message, 'pre-backup');
      } else {
        options.onEvent?.({ type: 'destination', destination: destination.name });
        ({ result, known, basis } = await backupDestination(
          {
            paths,
            borg: options.borg,
            logger: options.logger,
            states: desired.states,
            now: options.now ?? (() => new Date()),
            ...(signal === undefined ? {} : { signal }),
            ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
          },
          destination,
        ));
      }
      byName.set(destination.name, result);
      options.onEvent?.({ type: 'destination-done', result });
      // runs.json is read, changed and written: one record at a time
      recording = recording.then(() => record(paths, result, attemptAt, known, basis));
      await recording;
    }
  });
  return destinations.map((destination) => byName.get(destination.name)!);
}

async function lockedRun(
  options: CreateBackupsOptions,
  context: {
    desired: DesiredMachine;
    commit: string | undefined;
    destinations: readonly DesiredDestination[];
    notifier: Notifier;
  },
): Promise<BackupRun> {
  const { paths, signal } = options;
  const { desired, commit, destinations, notifier } = context;
  const lock = await waitForLock(paths.backupLock, `backups create ${desired.machine}`, {
    ...(signal === undefined ? {} : { signal }),
    timeoutMs: (options.lockTimeoutSeconds ?? DEFAULT_LOCK_TIMEOUT_SECONDS) * 1000,
    onWait: (message) => options.onEvent?.({ type: 'waiting', message }),
  });
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const results: DestinationResult[] = [];
  let preBackup: HookRun[] = [];
  let postBackup: HookRun[] = [];
  for (const destination of destinations)
    notifier.send(startMessage(desired.machine, destination.name, commit));
  try {
    try {
      preBackup = await runPhase(options, desired, 'pre-backup', signal);
      const failedStates = preBackup.filter((hook) => !hook.ok).map((hook) => hook.state);
      results.push(...(await backUpDestinations(options, desired, destinations, failedStates)));
    } finally {
      // post-backup scripts restart what pre-backup stopped: whatever happened, never interrupted
      postBackup = await runPhase(options, desired, 'post-backup', undefined);
    }
    const failedPost = postBackup
      .filter((hook) => !hook.ok)
      .map((hook) => `${hook.name} failed: ${hook.error}`);
    if (failedPost.length > 0) {
      for (const result of results) {
        await updateRun(paths.runs, result.destination, (previous) => ({
          ...previous,
          warnings: [...(previous?.warnings ?? []), ...failedPost],
        }));
      }
    }
    const run: BackupRun = {
      machine: desired.machine,
      ...(commit === undefined ? {} : { commit }),
      startedAt,
      durationSeconds: (Date.now() - started) / 1000,
      interrupted: signal?.aborted === true,
      preBackup,
      destinations: results,
      postBackup,
      notifications: [],
    };
    for (const result of results) notifier.send(resultMessage(run, result));
    return run;
  } catch (error: unknown) {
    failedRun(notifier, { desired, commit, startedAt, preBackup, postBackup }, destinations, error);
    throw error;
  } finally {
    await lock.release();
  }
}

/** A run that threw (a corrupt runs.json, a full disk) still ends, as a failure, for its receivers. */
function failedRun(
  notifier: Notifier,
  run: {
    desired: DesiredMachine;
    commit: string | undefined;
    startedAt: string;
    preBackup: HookRun[];
    postBackup: HookRun[];
  },
  destinations: readonly DesiredDestination[],
  error: unknown,
): void {
  for (const destination of destinations) {
    const result = skipped(run.desired, destination.name, errorMessage(error), 'other');
    notifier.send(
      resultMessage(
        {
          machine: run.desired.machine,
          ...(run.commit === undefined ? {} : { commit: run.commit }),
          startedAt: run.startedAt,
          interrupted: false,
          preBackup: run.preBackup,
          postBackup: run.postBackup,
        },
        { ...result, status: 'failed' },
      ),
    );
  }
}
