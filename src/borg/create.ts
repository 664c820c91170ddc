import { z } from 'zod';
import { BorgopsError } from '../errors.js';
import { fromUtcStart } from './list.js';
import type { ArchiveProgress } from './log-json.js';
import type { CreateOptions, CreateProgress, CreateResult } from './types.js';

/** Refuses names borg would read as something else (a path, a repository::archive pair) or that are empty. */
export function assertArchiveName(name: string): void {
  if (name === '' || name.includes('/') || name.includes('::') || /[\n\r\0]/.test(name)) {
    throw new BorgopsError('E_USAGE', `invalid archive name ${JSON.stringify(name)}`);
  }
}

/** At least one path: borg extracts a whole archive when given none (clan's restore flaw). */
export function assertPaths(paths: readonly string[], what: string): void {
  if (paths.length === 0) throw new BorgopsError('E_USAGE', `${what}: no paths given`);
  for (const path of paths) {
    if (path === '' || /[\n\r\0]/.test(path)) {
      throw new BorgopsError('E_USAGE', `${what}: invalid path ${JSON.stringify(path)}`);
    }
  }
}

export function createOptions(options: CreateOptions): string[] {
  const args = ['--json', '--compression', options.compression];
  if (options.onProgress !== undefined) args.push('--progress');
  // one word: a pattern can never be read as an option, whatever it starts with
  for (const pattern of options.exclude) args.push(`--exclude=${pattern}`);
  // borg reads --timestamp as UTC when it has no zone (helpers/time.py: timestamp()).
  if (options.timestamp !== undefined) args.push('--timestamp', options.timestamp);
  return args;
}

export function toCreateProgress(progress: ArchiveProgress): CreateProgress | undefined {
  if (progress.finished === true || progress.nfiles === undefined) return undefined;
  return {
    files: progress.nfiles,
    originalSize: progress.original_size ?? 0,
    compressedSize: progress.compressed_size ?? 0,
    deduplicatedSize: progress.deduplicated_size ?? 0,
    ...(progress.path === undefined || progress.path === '' ? {} : { path: progress.path }),
  };
}

const CreateOutput = z.looseObject({
  archive: z.looseObject({
    start: z.string().optional(),
    duration: z.number(),
    stats: z.looseObject({
      nfiles: z.number(),
      original_size: z.number(),
      compressed_size: z.number(),
      deduplicated_size: z.number(),
    }),
  }),
});

/**
 * The stats of `borg create --json` (zeros when borg printed none; it always does on success),
 * and the archive's start when borg ran in UTC (`utc`): as `borg list` in UTC gives it.
 */
export function parseCreateOutput(stdout: string, utc: boolean): Pick<CreateResult, 'stats' | 'start'> {
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch {
    value = undefined;
  }
  const parsed = CreateOutput.safeParse(value);
  if (!parsed.success) {
    return {
      stats: { files: 0, originalSize: 0, compressedSize: 0, deduplicatedSize: 0, durationSeconds: 0 },
    };
  }
  const { stats, duration, start } = parsed.data.archive;
  const exact = utc && start !== undefined ? fromUtcStart(start) : undefined;
  return {
    stats: {
      files: stats.nfiles,
      originalSize: stats.original_size,
      compressedSize: stats.compressed_size,
      deduplicatedSize: stats.deduplicated_size,
      durationSeconds: duration,
    },
    // only a start that parsed as an instant: anything else would be a guess
    ...(exact?.epochMicros === undefined ? {} : { start: exact }),
  };
}
