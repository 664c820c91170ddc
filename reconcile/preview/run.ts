import { createLoadCache, type LoadResult } from '../../src/config/load.js';
import { type GitSource, openSource, readAtCommit } from '../../src/git/source.js';
import { startBashDrivers } from '../../src/host/bash-syntax.js';
import { startValidation } from '../engine/declarations.js';
import type { PreviewReport } from './model.js';
import { readObserved } from './observed.js';
import { preview } from './preview.js';
import type { ScheduleRenderer } from './renderers.js';

export interface RunPreviewOptions {
  /** The config repository (a local git repository). */
  source: string;
  base: string;
  head: string;
  /** `--observed`: a directory of snapshots, or one file. */
  observed?: string;
  now?: Date;
  scheduler: string;
  renderSchedule: ScheduleRenderer;
  /** Backends by name, for machines that declare `scheduler` (see PreviewOptions). */
  renderers?: Readonly<Record<string, ScheduleRenderer>>;
  /** `--scheduler` was given: it overrides each machine's declared setting. */
  explicit?: boolean;
  onOverride?(machine: string, declared: string): void;
}

function sameFiles(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [path, text] of a) if (b.get(path) !== text) return false;
  return true;
}

/** Validation depends on the files alone; the declarations also name the commit they were read at. */
function withCommit(result: LoadResult, commit: string | undefined): LoadResult {
  const { declarations } = result;
  if (declarations === undefined || declarations.commit === commit) return result;
  const { commit: _, ...rest } = declarations;
  return { ...result, declarations: commit === undefined ? rest : { commit, ...rest } };
}

/**
 * Base, then head reusing what base read: a change touches a few files, so head asks git for only
 * those (and the trees above them) instead of reading every file a second time.
 */
async function readBaseAndHead(source: GitSource, options: RunPreviewOptions) {
  const base = await readAtCommit(source, options.base);
  return { base, head: await readAtCommit(source, options.head, { reuse: base }) };
}

/** Reads both refs from the object database (one `git cat-file --batch-command` each), validates, previews. */
export async function runPreview(options: RunPreviewOptions): Promise<PreviewReport> {
  // forked while the heap is small (two bash processes, idle until base's scripts are checked)
  startBashDrivers();
  const source = await openSource(options.source);
  const [{ base, head }, observed] = await Promise.all([
    readBaseAndHead(source, options),
    options.observed === undefined ? undefined : readObserved(options.observed),
  ]);
  // files that base and head share are parsed once, the same files are validated once, and bash
  // checks base's scripts while head is loaded
  const cache = createLoadCache();
  const baseValidation = startValidation(base.files, base.commit, cache);
  const headValidation = sameFiles(base.files, head.files)
    ? undefined
    : startValidation(head.files, head.commit, cache);
  const baseResult = await baseValidation();
  const headResult = (await headValidation?.()) ?? withCommit(baseResult, head.commit);
  return preview(
    {
      base: {
        ref: options.base,
        commit: base.commit!,
        result: baseResult,
      },
      head: {
        ref: options.head,
        commit: head.commit!,
        result: headResult,
      },
      ...(observed ? { observed } : {}),
    },
    {
      scheduler: options.scheduler,
      renderSchedule: options.renderSchedule,
      ...(options.renderers ? { renderers: options.renderers } : {}),
      ...(options.explicit ? { explicit: true } : {}),
      ...(options.onOverride ? { onOverride: options.onOverride } : {}),
      ...(options.now ? { now: options.now } : {}),
    },
  );
}
