import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isBorgError } from '../../src/borg/errors.js';
import { fromUtcStart } from '../../src/borg/list.js';
import { repositoryFingerprint } from '../../src/borg/repository-state.js';
import type { RetentionArchive } from '../../src/borg/retention.js';
import type { Borg, BorgTarget, CreateProgress, CreateResult } from '../../src/borg/types.js';
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
   * Whether retention asked borg (`borg list`). false: it decided on the last run's record plus
   * the new archive, either because that left nothing to delete (nothing was deleted) or because
   * the repository was verifiably in the state that run left it in (see `retention`).
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
  /** The record as this run read it before `borg create` (to tell whether anyone changed it since). */
  basis?: KnownArchives;
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

/** The repository is still in the state the record's run left it in (see `repositoryFingerprint`). */
async function unchangedSince(record: KnownArchives | undefined, repo: string): Promise<boolean> {
  if (record?.fingerprint === undefined) return false;
  return (await repositoryFingerprint(repo)) === record.fingerprint;
}

/** The archive just created, as `borg list` will show it: its start as borg reported it, else predicted. */
function createdArchive(
  name: string,
  start: CreateResult['start'],
  startedAt: Date,
): KnownArchives['archives'][number] {
  return { name, ...(start ?? fromUtcStart(startedAt.toISOString().replace(/Z$/, ''))) };
}

/** Retention's decision on `archives`, or undefined when it cannot read them (a tampered time). */
function decided(
  destination: DesiredDestination,
  archives: readonly KnownArchives['archives'][number][],
  now: Date,
): ReturnType<typeof destinationRetention<RetentionArchive>> | undefined {
  try {
    return destinationRetention(destination, archives, now);
  } catch {
    return undefined;
  }
}

function knownOf(
  own: readonly RetentionArchive[],
  pruned: readonly string[],
  listedAt: string,
): KnownArchives {
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

/** The record with the repository's state after this run's last write, when borgops can read it. */
async function withFingerprint(known: KnownArchives, repo: string): Promise<KnownArchives> {
  const fingerprint = await repositoryFingerprint(repo);
  return fingerprint === undefined ? known : { ...known, fingerprint };
}

/**
 * Retention on `archives` (borg's list, or the verified record plus the new archive): the
 * guards, then `borg delete` of exactly the names decided (and this destination's
 * `.checkpoint`/`.failed` leftovers) and `borg compact`.
 */
async function pruneDecided(
  context: DestinationContext,
  destination: DesiredDestination,
  target: BorgTarget,
  result: DestinationResult,
  seen: {
    archives: readonly RetentionArchive[];
    decision: ReturnType<typeof destinationRetention<RetentionArchive>>;
    listedAt: string;
  },
): Promise<KnownArchives> {
  const { own, plan } = seen.decision;
  const guard = pruneRefusal(
    destination.name,
    resourceId('retention', destination.name),
    plan.pruned.length,
    own.length,
  );
  const pruned = guard ? [] : plan.pruned;
  if (guard)
    result.warnings.push(`retention skipped: ${guard.message.replace('--allow', 'borgops apply --allow')}`);
  const leftovers = failedLeftovers(seen.archives, destination.archivePrefix);
  await pruneArchives(context.borg, target, [...pruned, ...leftovers], destination.archivePrefix);
  result.pruned = [...pruned, ...leftovers];
  result.archives = own.length - pruned.length;
  return withFingerprint(knownOf(own, pruned, seen.listedAt), destination.repo);
}

/**
 * Retention after a new archive: the same rules, guards and prune step as `apply`, on one of:
 * - the last run's record plus this archive, when that deletes nothing: borg is not asked (the
 *   record can only miss archives added behind borgops's back, which the next listed run prunes);
 * - the same, when it deletes, only if the repository is verifiably the one the record
 *   describes: local, and in the very state (`repositoryFingerprint`) borgops's own last write
 *   left it in, read just before this run's `borg create` (`verified`);
 * - otherwise borg's list (`borg list`): the record missing, a day old, after a failed run,
 *   unreadable, or the repository remote, changed by anyone else, or locked.
 */
async function retention(
  context: DestinationContext,
  destination: DesiredDestination,
  target: BorgTarget,
  run: {
    result: DestinationResult;
    previous: DestinationRun | undefined;
    startedAt: Date;
    /** The archive's start as borg reported it (absent: predicted from `startedAt`). */
    start: CreateResult['start'];
    verified: boolean;
  },
): Promise<KnownArchives | undefined> {
  const { result } = run;
  const now = context.now();
  const record = retentionRecord(run.previous, now);
  if (record !== undefined && result.archive !== undefined) {
    const archives = [...record.archives, createdArchive(result.archive, run.start, run.startedAt)];
    const decision = decided(destination, archives, now);
    if (decision !== undefined && decision.plan.pruned.length === 0) {
      result.archives = decision.own.length;
      result.retentionListed = false;
      const known = { listedAt: record.listedAt, archives: decision.own };
      // a fingerprint vouches that the record is exactly the repository's list, with borg's own
      // starts: an unverified record may miss archives someone added, and a predicted start may
      // be off by a second, so either stays without one until borg lists again
      return run.verified && run.start !== undefined ? withFingerprint(known, destination.repo) : known;
    }
    // deleting on the record needs the new archive's exact start: borg's rules keep per period,
    // and a create that began at 23:59:59.9 may have started its archive on the next day
    if (decision !== undefined && run.verified && run.start !== undefined) {
      result.retentionListed = false;
      return pruneDecided(context, destination, target, result, {
        archives,
        decision,
        listedAt: record.listedAt,
      });
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
  return pruneDecided(context, destination, target, result, {
    archives: observation.archives,
    decision: destinationRetention(destination, observation.archives, now),
    listedAt,
  });
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
  let basis: KnownArchives | undefined;
  try {
    const previous = (await readRuns(context.paths.runs)).destinations[destination.name];
    basis = previous?.known;
    const name = await freshName(context, destination, previous);
    const startedAt = context.now();
    const missing = await missingFolders(root, folders);
    // read last before borg starts: the shorter the time to borg's lock, the less can come between
    const verified = await unchangedSince(retentionRecord(previous, startedAt), destination.repo);
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
      known = await retention(context, destination, target, {
        result,
        previous,
        startedAt,
        start: created.start,
        verified,
      });
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
  return known === undefined ? { result } : { result, known, ...(basis === undefined ? {} : { basis }) };
}
