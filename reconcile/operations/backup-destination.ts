import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isBorgError } from '../../src/borg/errors.js';
import { fromUtcStart } from '../../src/borg/list.js';
import type { Archive, Borg, BorgTarget, CreateProgress, CreateResult } from '../../src/borg/types.js';
import { archiveTimestamp } from '../../src/config/names.js';
import { resourceId } from '../../src/desired/ids.js';
import type { DesiredDestination, DesiredState } from '../../src/desired/types.js';
import { orAbsent } from '../../src/host/fs-error.js';
import { archivePath, type HostPaths } from '../../src/host/paths.js';
import { type DestinationRun, type KnownArchives, readRuns } from '../../src/host/runs.js';
import { borgTarget } from '../../src/host/targets.js';
import type { Logger } from '../../src/log.js';
import { compareStrings } from '../../src/util/compare.js';
import { pruneRefusal } from '../engine/guards.js';
import { destinationRetention, failedLeftovers, pruneArchives } from '../engine/retention.js';
import { type Failure, failureOf, observationFailure } from './failure.js';

export type DestinationStatus = 'created' | 'failed' | 'aborted' | 'skipped';

/** What a backup run did for one destination (the `--json` shape, and what runs.json records). */
export interface DestinationResult {
  destination: string;
  repo: string;
  status: DestinationStatus;
  /** The archive created (only a complete archive exists under this name: see backupDestination). */
  archive?: string;
  stats?: CreateResult['stats'];
  warnings: string[];
  /** Archives retention deleted (and `.checkpoint`/`.failed` leftovers of interrupted runs). */
  pruned: string[];
  /** This machine's archives in the destination afterwards. */
  archives?: number;
  /**
   * Whether retention asked borg (`borg list`). false: the last run's record plus the new archive
   * left nothing to delete, so borg was not asked and nothing was deleted.
   */
  retentionListed?: boolean;
  /** Why the backup (or, with status `created`, its retention) failed. */
  error?: Failure;
  durationSeconds: number;
}

/** A destination's result, and what runs.json keeps of its archives for the next run's retention. */
export interface DestinationOutcome {
  result: DestinationResult;
  known?: KnownArchives;
}

export interface DestinationContext {
  paths: HostPaths;
  borg: Borg;
  logger: Logger;
  states: readonly DesiredState[];
  now: () => Date;
  signal?: AbortSignal;
  onProgress?: (destination: string, progress: CreateProgress) => void;
}

interface Folder {
  path: string;
  declared: string;
  states: string[];
}

/** Every state folder once, as borg stores it relative to `<root>`. */
export function foldersOf(states: readonly DesiredState[]): Folder[] {
  const byPath = new Map<string, Folder>();
  for (const state of states) {
    for (const declared of state.folders) {
      const path = archivePath(declared);
      const folder = byPath.get(path) ?? { path, declared, states: [] };
      folder.states.push(state.name);
      byPath.set(path, folder);
    }
  }
  return [...byPath.values()].sort((a, b) => compareStrings(a.path, b.path));
}

async function missingFolders(root: string, folders: readonly Folder[]): Promise<Folder[]> {
  const missing: Folder[] = [];
  for (const folder of folders) {
    const path = join(root, folder.path);
    if ((await orAbsent(stat(path), 'stat', path)) === undefined) missing.push(folder);
  }
  return missing;
}

/** borg's warning for a missing path (`srv/app: open_root: [Errno 2] …`) said by declared path instead. */
function folderWarnings(root: string, missing: readonly Folder[], borgWarnings: readonly string[]): string[] {
  const ours = missing.map((folder) => {
    const where = root === '/' ? '' : ` (${join(root, folder.path)})`;
    return `${folder.declared} does not exist${where}: state ${folder.states.join(', ')} backed up nothing from it`;
  });
  const rest = borgWarnings.filter((warning) => !missing.some((f) => warning.startsWith(`${f.path}: `)));
  return [...ours, ...rest];
}

/** Two runs in one second would want one name: wait for the next second instead of failing. */
async function freshName(
  context: DestinationContext,
  destination: DesiredDestination,
  previous: DestinationRun | undefined,
): Promise<string> {
  for (;;) {
    const name = `${destination.archivePrefix}${archiveTimestamp(context.now())}`;
    if (name !== previous?.archive) return name;
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5));
  }
}

/** How long borgops predicts retention from its own record before it asks borg again. */
export const RELIST_AFTER_MS = 24 * 3600 * 1000;

/**
 * The archives the last run left, when retention may be predicted from them: the last run of
 * this destination succeeded (a failed or interrupted one may have left a `.checkpoint` to delete)
 * and borg listed it less than a day ago.
 */
export function retentionRecord(previous: DestinationRun | undefined, now: Date): KnownArchives | undefined {
  const known = previous?.known;
  if (known === undefined || previous?.error !== undefined || previous?.failure !== undefined)
    return undefined;
  const age = now.getTime() - Date.parse(known.listedAt);
  return age >= 0 && age < RELIST_AFTER_MS ? known : undefined;
}

/** The archive just created, as `borg list` will show it (started now). */
function createdArchive(name: string, startedAt: Date): KnownArchives['archives'][number] {
  return { name, ...fromUtcStart(startedAt.toISOString().replace(/Z$/, '')) };
}

/**
 * This destination's archives after retention, predicted from the record plus the new archive,
 * when that deletes nothing; undefined when it would delete, or when retention cannot read the
 * record (a tampered time): then borg is asked.
 */
function keptWithoutDeleting(
  destination: DesiredDestination,
  archives: readonly KnownArchives['archives'][number][],
  now: Date,
): KnownArchives['archives'] | undefined {
  try {
    const { own, plan } = destinationRetention(destination, archives, now);
    return plan.pruned.length === 0 ? own : undefined;
  } catch {
    return undefined;
  }
}

function knownOf(own: readonly Archive[], pruned: readonly string[], listedAt: string): KnownArchives {
  const deleted = new Set(pruned);
  return {
    listedAt,
    archives: own
      .filter((archive) => !deleted.has(archive.name))
      .map(({ name, start, epochMicros }) => ({
        name,
        start,
        ...(epochMicros === undefined ? {} : { epochMicros }),
      })),
  };
}

/**
 * Retention after a new archive: the same rules, guards and prune step as `apply`. When the last
 * run's record plus this archive leave nothing to delete, borg is not asked (one borg process
 * fewer); nothing is ever deleted on that prediction: as soon as it deletes something, or the
 * record is missing, old, after a failure or unreadable, borg lists the repository and retention
 * decides on what borg says. An archive someone else added is pruned by that next listed run.
 */
async function retention(
  context: DestinationContext,
  destination: DesiredDestination,
  target: BorgTarget,
  run: { result: DestinationResult; previous: DestinationRun | undefined; startedAt: Date },
): Promise<KnownArchives | undefined> {
  const { result } = run;
  const now = context.now();
  const record = retentionRecord(run.previous, now);
  if (record !== undefined && result.archive !== undefined) {
    const created = createdArchive(result.archive, run.startedAt);
    const kept = keptWithoutDeleting(destination, [...record.archives, created], now);
    if (kept !== undefined) {
      result.archives = kept.length;
      result.retentionListed = false;
      return { listedAt: record.listedAt, archives: kept };
    }
  }
  const listedAt = now.toISOString();
  const observation = await context.borg.list(target);
  if (observation.state !== 'present') {
    result.error = observationFailure(destination.name, observation);
    result.error.message = `retention: ${result.error.message}`;
    return undefined;
  }
  result.retentionListed = true;
  const { own, plan } = destinationRetention(destination, observation.archives, now);
  const guard = pruneRefusal(
    destination.name,
    resourceId('retention', destination.name),
    plan.pruned.length,
    own.length,
  );
  const pruned = guard ? [] : plan.pruned;
  if (guard)
    result.warnings.push(`retention skipped: ${guard.message.replace('--allow', 'borgops apply --allow')}`);
  const leftovers = failedLeftovers(observation.archives, destination.archivePrefix);
  await pruneArchives(context.borg, target, [...pruned, ...leftovers], destination.archivePrefix);
  result.pruned = [...pruned, ...leftovers];
  result.archives = own.length - pruned.length;
  return knownOf(own, pruned, listedAt);
}

/**
 * One destination of a backup run: `borg create` of every state folder to `<name>` (cwd
 * `<root>`, relative paths; exit code 1 is a warning, not a failure), then retention. borg's
 * transaction makes `<name>` appear only once the archive is complete and committed: a run
 * interrupted (SIGINT, SIGKILL, power loss) leaves nothing under that name, at most a
 * `<name>.checkpoint`, which retention never counts and the next successful run deletes (as
 * `borg prune` does). Never throws: the result says what happened.
 */
export async function backupDestination(
  context: DestinationContext,
  destination: DesiredDestination,
): Promise<DestinationOutcome> {
  const started = Date.now();
  const target = borgTarget(destination, context.paths);
  const result: DestinationResult = {
    destination: destination.name,
    repo: destination.repo,
    status: 'failed',
    warnings: [],
    pruned: [],
    durationSeconds: 0,
  };
  const folders = foldersOf(context.states);
  const root = context.paths.root;
  let step: 'create' | 'retention' = 'create';
  let known: KnownArchives | undefined;
  try {
    const previous = (await readRuns(context.paths.runs)).destinations[destination.name];
    const name = await freshName(context, destination, previous);
    const startedAt = context.now();
    const missing = await missingFolders(root, folders);
    const created = await context.borg.create(target, name, {
      paths: folders.map((folder) => folder.path),
      cwd: root,
      compression: destination.compression,
      exclude: destination.exclude,
      ...(context.signal === undefined ? {} : { signal: context.signal }),
      ...(context.onProgress === undefined
        ? {}
        : { onProgress: (progress) => context.onProgress?.(destination.name, progress) }),
    });
    result.archive = name;
    result.stats = created.stats;
    result.warnings.push(...folderWarnings(root, missing, created.warnings));
    result.status = 'created';
    if (context.signal?.aborted) {
      result.warnings.push('retention skipped: interrupted');
    } else {
      step = 'retention';
      known = await retention(context, destination, target, { result, previous, startedAt });
    }
  } catch (error: unknown) {
    const aborted = (isBorgError(error) && error.failure === 'aborted') || context.signal?.aborted === true;
    const failure = aborted
      ? { message: `${destination.name}: interrupted during ${step}`, failure: 'aborted' }
      : failureOf(error);
    if (step === 'retention') failure.message = `retention: ${failure.message}`;
    else result.status = aborted ? 'aborted' : 'failed';
    result.error = failure;
    context.logger.error(
      { destination: destination.name, step, failure: failure.failure },
      'backup step failed',
    );
  }
  result.durationSeconds = (Date.now() - started) / 1000;
  return known === undefined ? { result } : { result, known };
}
