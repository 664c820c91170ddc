import { mkdir, mkdtemp, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { ownArchives } from '../../src/borg/retention.js';
import type { Archive, BorgTarget } from '../../src/borg/types.js';
import type { DesiredDestination, DesiredMachine, DesiredState } from '../../src/desired/types.js';
import { archivePath } from '../../src/host/paths.js';
import { runHook } from '../../src/host/run-hook.js';
import { borgTarget } from '../../src/host/targets.js';
import { formatDuration } from '../../src/util/duration.js';
import { plural } from '../../src/util/words.js';
import { isCorruption, runVerification, type VerifyOptions } from './check.js';
import { itemsThroughLinks, overlappingFolders, scratchParent } from './drill-scratch.js';
import { verifyExtracted } from './drill-verify.js';
import { failureOf, observationFailure } from './failure.js';
import { maxAgeOf } from './health.js';
import { statesToRestore } from './restore-target.js';
import type {
  DrillStateResult,
  VerificationFailure,
  VerificationResult,
  VerificationRun,
} from './verification.js';

export interface DrillOptions extends VerifyOptions {
  /** Only this state (`--service`); default every state. */
  service?: string;
  /** Free bytes where the scratch directory is (default: statfs); tests make a full disk with it. */
  freeBytes?: (dir: string) => Promise<number>;
}

/** borg 1.2 prints archive times as local time without a zone, which Date reads as local time. */
function archiveTime(archive: Archive): number {
  return Date.parse(archive.start);
}

function newest(archives: readonly Archive[]): Archive | undefined {
  return [...archives].sort((a, b) => archiveTime(b) - archiveTime(a))[0];
}

async function statfsFree(dir: string): Promise<number> {
  const stats = await statfs(dir);
  return Number(stats.bavail) * Number(stats.bsize);
}

interface StateDrill {
  options: DrillOptions;
  desired: DesiredMachine;
  target: BorgTarget;
  archive: string;
  dir: string;
  /** The archived symlinks extracted into `dir` so far (borg re-creates each as a link). */
  links: Set<string>;
}

async function drillState(context: StateDrill, state: DesiredState): Promise<DrillStateResult> {
  const { options, desired, target, archive, dir, links } = context;
  const result: DrillStateResult = {
    state: state.name,
    folders: state.folders,
    status: 'failed',
    files: 0,
    bytes: 0,
    warnings: [],
  };
  if (state.folders.length === 0) {
    result.status = 'skipped';
    result.warnings.push(`state ${state.name} declares no folders: nothing to restore`);
    return result;
  }
  const paths = state.folders.map(archivePath);
  const signal = options.signal === undefined ? {} : { signal: options.signal };
  try {
    // listed before extracting: an item under an archived symlink is refused, never written
    const items = await options.borg.listItems(target, archive, { paths, ...signal });
    for (const item of items) if (item.type === 'l') links.add(item.path);
    const through = itemsThroughLinks(items, links);
    if (through.length > 0) {
      const more = through.length > 5 ? ` (and ${through.length - 5} more)` : '';
      result.failure = {
        class: 'unsafe-archive',
        message: `${state.name}: borg extract would write through a symlink it restores, outside the scratch directory: ${through.slice(0, 5).join('; ')}${more}; nothing of ${state.name} was extracted`,
      };
      return result;
    }
    const extracted = await options.borg.extract(target, archive, { paths, cwd: dir, ...signal });
    const absent = state.folders.filter((folder) =>
      extracted.warnings.includes(`Include pattern '${archivePath(folder)}' never matched.`),
    );
    result.warnings.push(...absent.map((folder) => `${folder} is not in the archive`));
    if (absent.length === state.folders.length) {
      result.failure = {
        class: 'mismatch',
        message: `${state.name}: none of its folders is in ${archive} (${absent.join(', ')})`,
      };
      return result;
    }
    const checked = await verifyExtracted(dir, items);
    result.files = checked.files;
    result.bytes = checked.bytes;
    if (checked.mismatches.length > 0) {
      const shown = checked.mismatches.slice(0, 5).join('; ');
      const more = checked.mismatches.length > 5 ? ` (and ${checked.mismatches.length - 5} more)` : '';
      result.failure = {
        class: 'mismatch',
        message: `${state.name}: ${plural(checked.mismatches.length, 'file')} ${checked.mismatches.length === 1 ? 'differs' : 'differ'} from what borg recorded: ${shown}${more}`,
      };
      return result;
    }
  } catch (error: unknown) {
    const failure = failureOf(error);
    result.failure = {
      class: isCorruption(error) ? 'corrupt' : failure.failure,
      message: `${state.name}: ${failure.message}`,
    };
    return result;
  }
  const hook = desired.hooks.find((h) => h.state === state.name && h.phase === 'verify');
  if (hook) {
    const run = await runHook(hook, {
      paths: options.paths,
      machine: desired.machine,
      logger: options.logger,
      env: { RESTORE_DIR: dir, NAME: archive, FOLDERS: state.folders.join(':') },
      ...signal,
    });
    result.script = run;
    if (!run.ok) {
      result.failure = {
        class: 'verify-script',
        message: `${state.name}: ${hook.name} failed (${run.error})`,
      };
      return result;
    }
  }
  result.status = 'passed';
  return result;
}

async function drillDestination(
  options: DrillOptions,
  desired: DesiredMachine,
  states: readonly DesiredState[],
  destination: DesiredDestination,
): Promise<VerificationResult> {
  const { paths } = options;
  const clock = options.now ?? (() => new Date());
  const started = clock();
  const result: VerificationResult = {
    kind: 'drill',
    machine: desired.machine,
    destination: destination.name,
    repo: destination.repo,
    ok: false,
    startedAt: started.toISOString(),
    durationSeconds: 0,
    files: 0,
    bytes: 0,
  };
  const fail = (failure: VerificationFailure): VerificationResult => ({
    ...result,
    failure,
    durationSeconds: (clock().getTime() - started.getTime()) / 1000,
  });
  const target = borgTarget(destination, paths);
  try {
    const observation = await options.borg.list(target);
    if (observation.state !== 'present') {
      const failure = observationFailure(destination.name, observation);
      return fail({ class: failure.failure, message: failure.message });
    }
    const archive = newest(ownArchives(observation.archives, destination.archivePrefix));
    if (archive === undefined) {
      return fail({
        class: 'no-archive',
        message: `${destination.name}: no archive of ${desired.machine} (${destination.archivePrefix}*) to restore`,
      });
    }
    result.archive = archive.name;
    result.archiveStart = archive.start;
    // a drill never passes on a stale archive: restoring an old one proves nothing about today
    const maxAge = maxAgeOf(destination, started);
    const age = (started.getTime() - archiveTime(archive)) / 1000;
    if (maxAge !== undefined && age > maxAge) {
      return fail({
        class: 'stale',
        message: `${destination.name}: the newest archive ${archive.name} is ${formatDuration(age, 'age')} old, older than maxAge ${formatDuration(maxAge, 'age')}`,
      });
    }
    const parent = scratchParent(paths, destination);
    const overlaps = await overlappingFolders(paths, desired, parent);
    if (overlaps.length > 0) {
      return fail({
        class: 'unsafe-scratch',
        message: `${destination.name}: the scratch directory ${parent} overlaps the live folder(s) ${overlaps.join(', ')}; a drill never restores there`,
      });
    }
    await mkdir(parent, { recursive: true, mode: 0o700 });
    const info = await options.borg.archiveInfo(target, archive.name);
    const free = await (options.freeBytes ?? statfsFree)(parent);
    if (free < info.originalSize) {
      return fail({
        class: 'space',
        message: `${destination.name}: ${parent} has ${free} bytes free, less than the ${info.originalSize} bytes of ${archive.name}; nothing was extracted`,
      });
    }
    const dir = await mkdtemp(join(parent, `${destination.name}-`));
    try {
      const results: DrillStateResult[] = [];
      const links = new Set<string>();
      for (const state of states) {
        if (options.signal?.aborted) break;
        results.push(
          await drillState({ options, desired, target, archive: archive.name, dir, links }, state),
        );
      }
      result.states = results;
      result.files = results.reduce((sum, r) => sum + r.files, 0);
      result.bytes = results.reduce((sum, r) => sum + r.bytes, 0);
      const failed = results.filter((r) => r.status === 'failed');
      if (options.signal?.aborted)
        return fail({ class: 'aborted', message: `${destination.name}: interrupted` });
      if (failed.length > 0) {
        return fail({
          class: failed[0]?.failure?.class ?? 'other',
          message: `${destination.name}: ${failed.map((r) => r.failure?.message ?? r.state).join('; ')}`,
        });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  } catch (error: unknown) {
    const failure = failureOf(error);
    return fail({ class: isCorruption(error) ? 'corrupt' : failure.failure, message: failure.message });
  }
  return { ...result, ok: true, durationSeconds: (clock().getTime() - started.getTime()) / 1000 };
}

/**
 * `borgops drill`: for each destination, the newest archive of this machine there, refused when
 * older than maxAge; each state's folders extracted into a scratch directory (never the live
 * paths, no restore scripts), every regular file's size and sha256 compared with borg's record,
 * the state's verifyScript run with RESTORE_DIR; the scratch directory removed afterwards.
 */
export function runDrill(options: DrillOptions): Promise<VerificationRun> {
  return runVerification('drill', options, (desired) => {
    const states = statesToRestore(desired, options.service);
    return (destination) => drillDestination(options, desired, states, destination);
  });
}
