import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Borg, BorgTarget } from '../../src/borg/types.js';
import type { DesiredMachine, DesiredState, HookPhase } from '../../src/desired/types.js';
import { BorgopsError } from '../../src/errors.js';
import { waitForLock } from '../../src/host/lock.js';
import { archivePath, type HostPaths } from '../../src/host/paths.js';
import { type HookRun, runHook } from '../../src/host/run-hook.js';
import { borgTarget } from '../../src/host/targets.js';
import type { Logger } from '../../src/log.js';
import { type FromGit, machineFor } from './declared-machine.js';
import { failureOf, observationFailure } from './failure.js';
import { checkFreshTarget, refuseUnsafe, unsafeMembers } from './restore-safety.js';
import { checkProvider, parseRestoreName, type RestoreSource, statesToRestore } from './restore-target.js';

export type StateStatus = 'restored' | 'failed' | 'skipped' | 'would-restore' | 'interrupted';

export interface StateRestore {
  state: string;
  folders: string[];
  status: StateStatus;
  /** Scripts that ran (or, with --dry-run, would run). */
  scripts: string[];
  hooks: HookRun[];
  warnings: string[];
  error?: string;
}

export interface RestorePreview {
  machine: string;
  name: string;
  destination: string;
  archive: string;
  /** Where folders are extracted: `<root>` in place, or the staging directory of --target. */
  into: string;
  inPlace: boolean;
  dryRun: boolean;
  states: string[];
}

export interface RestoreResult extends RestorePreview {
  interrupted: boolean;
  results: StateRestore[];
}

export interface RestoreOptions {
  paths: HostPaths;
  borg: Borg;
  logger: Logger;
  machine: string;
  provider: string;
  name: string;
  service?: string;
  /** Extract into this staging directory instead of in place (runs no script). */
  target?: string;
  dryRun: boolean;
  signal?: AbortSignal;
  /** Read the declarations from git and decrypt with an admin identity instead of the applied state. */
  from?: FromGit;
  /** Asked before a full in-place restore (every state, no --target); false cancels. */
  confirm: (preview: RestorePreview) => Promise<boolean>;
  onState?: (state: string) => void;
  /** Another backup or restore holds the lock: this one waits for it. */
  onWait?: (message: string) => void;
}

function notInArchive(folder: string): string {
  return `${folder} is not in the archive`;
}

/** borg's "Include pattern 'srv/app' never matched." said by declared folder. */
function extractWarnings(state: DesiredState, warnings: readonly string[]): string[] {
  return warnings.map((warning) => {
    const folder = state.folders.find(
      (f) => warning === `Include pattern '${archivePath(f)}' never matched.`,
    );
    return folder === undefined ? warning : notInArchive(folder);
  });
}

interface StateContext {
  options: RestoreOptions;
  desired: DesiredMachine;
  source: RestoreSource;
  target: BorgTarget;
  into: string;
}

async function restoreState(context: StateContext, state: DesiredState): Promise<StateRestore> {
  const { options, desired, source } = context;
  const inPlace = options.target === undefined;
  const hookOf = (phase: HookPhase) =>
    inPlace ? desired.hooks.find((h) => h.state === state.name && h.phase === phase) : undefined;
  const pre = hookOf('pre-restore');
  const post = hookOf('post-restore');
  const result: StateRestore = {
    state: state.name,
    folders: state.folders,
    status: 'failed',
    scripts: [pre, post].flatMap((hook) => (hook ? [hook.name] : [])),
    hooks: [],
    warnings: [],
  };
  if (state.folders.length === 0) {
    result.status = 'skipped';
    result.scripts = [];
    result.warnings.push(
      `state ${state.name} declares no folders: skipped (a whole archive is never extracted)`,
    );
    return result;
  }
  if (options.signal?.aborted) return { ...result, status: 'interrupted', scripts: [] };
  const paths = state.folders.map(archivePath);
  const hookOptions = {
    paths: options.paths,
    machine: desired.machine,
    logger: options.logger,
    env: { NAME: source.name, FOLDERS: state.folders.join(':') },
  };
  try {
    if (!options.dryRun && pre) {
      const run = await runHook(pre, {
        ...hookOptions,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      result.hooks.push(run);
      if (!run.ok) {
        result.error = `${pre.name} failed (${run.error}): nothing of ${state.name} was restored`;
        return result;
      }
    }
    const extracted = await options.borg.extract(context.target, source.archive, {
      paths,
      // a dry run writes nothing: any existing directory will do as borg's cwd
      cwd: options.dryRun ? options.paths.stateDir : context.into,
      dryRun: options.dryRun,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const warnings = extractWarnings(state, extracted.warnings);
    const absent = state.folders.filter((folder) => warnings.includes(notInArchive(folder)));
    if (absent.length === state.folders.length) {
      // nothing was restored: a post-restore script would put stale or no data in place
      const skipped = post && !options.dryRun ? `; ${post.name} not run` : '';
      result.error = `none of its folders is in the archive (${absent.join(', ')})${skipped}`;
      return result;
    }
    result.warnings.push(...warnings);
    if (options.dryRun) {
      result.status = 'would-restore';
      return result;
    }
    if (post) {
      // the restored data is in place: the post-restore script (putting it to use) always finishes
      const run = await runHook(post, hookOptions);
      result.hooks.push(run);
      if (!run.ok) {
        result.error = `${post.name} failed (${run.error}) after the folders were extracted`;
        return result;
      }
    }
    result.status = 'restored';
  } catch (error: unknown) {
    if (options.signal?.aborted) result.status = 'interrupted';
    result.error = `${failureOf(error).message}${post && !options.dryRun ? ` (${post.name} not run)` : ''}`;
  }
  return result;
}

/**
 * `borgops backups restore`: per state (the --service one, or every state in turn), its
 * pre-restore script, `borg extract` of that state's folders only, its post-restore script.
 * Failures are collected per state; the others still run.
 */
export async function restoreBackup(options: RestoreOptions): Promise<RestoreResult> {
  const { paths, signal } = options;
  const { desired, identity } = await machineFor(paths, options.machine, options.from);
  checkProvider(desired, options.provider);
  const source = parseRestoreName(desired, options.name);
  const states = statesToRestore(desired, options.service);
  const target = borgTarget(source.destination, paths, identity === undefined ? {} : { identity });

  // before any script runs: the repository answers and holds the archive
  const observation = await options.borg.list(target);
  if (observation.state !== 'present') {
    throw new BorgopsError('E_BORG', observationFailure(source.destination.name, observation).message);
  }
  if (!observation.archives.some((archive) => archive.name === source.archive)) {
    throw new BorgopsError(
      'E_USAGE',
      `unknown archive "${source.archive}" in ${source.destination.name} (see \`borgops backups list ${desired.machine}\`)`,
    );
  }

  const into = options.target === undefined ? paths.root : resolve(options.target);
  if (options.target !== undefined) await checkFreshTarget(into);
  // before any script runs or anything is written: where every member of these folders would land
  const members = await options.borg.listItems(target, source.archive, {
    paths: states.flatMap((state) => state.folders.map(archivePath)),
    content: false,
    ...(signal === undefined ? {} : { signal }),
  });
  const unsafe = unsafeMembers(members);
  if (unsafe.length > 0) refuseUnsafe(source.archive, into, unsafe);
  const preview: RestorePreview = {
    machine: desired.machine,
    name: source.name,
    destination: source.destination.name,
    archive: source.archive,
    into,
    inPlace: options.target === undefined,
    dryRun: options.dryRun,
    states: states.map((state) => state.name),
  };
  if (
    preview.inPlace &&
    !options.dryRun &&
    options.service === undefined &&
    !(await options.confirm(preview))
  ) {
    throw new BorgopsError('E_GUARD', 'restore cancelled; nothing was changed');
  }

  const lock = await waitForLock(paths.backupLock, `backups restore ${desired.machine}`, {
    ...(signal === undefined ? {} : { signal }),
    ...(options.onWait === undefined ? {} : { onWait: options.onWait }),
  });
  try {
    if (!preview.inPlace && !options.dryRun) await mkdir(into, { recursive: true, mode: 0o700 });
    const results: StateRestore[] = [];
    for (const state of states) {
      options.onState?.(state.name);
      results.push(await restoreState({ options, desired, source, target, into }, state));
    }
    return { ...preview, interrupted: signal?.aborted === true, results };
  } finally {
    await lock.release();
  }
}
