import { randomBytes } from 'node:crypto';
import { chmod, link, lstat, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { BorgopsError } from '../errors.js';
import { orAbsent } from './fs-error.js';

export interface WriteOptions {
  mode?: number;
  /** Mode of directories created on the way (default 0700: borgops state is private). */
  dirMode?: number;
}

/** Only borgops makes these names (`.<file>.borgops-<12 hex>.tmp`): a sweep never takes another tool's file. */
const TEMPORARY = /^\..+\.borgops-[0-9a-f]{12}\.tmp$/;

/** A temporary file younger than this may belong to a writer that is still running. */
const STALE_AFTER_MS = 10 * 60_000;

const READABLE_CODES: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'input/output error',
};

/** One line naming the file and the reason (`cannot write /x: no space left on device (ENOSPC)`). */
export function writeError(path: string, error: unknown): BorgopsError {
  const code = (error as NodeJS.ErrnoException).code;
  const known = code === undefined ? undefined : READABLE_CODES[code];
  const reason =
    known !== undefined
      ? `${known} (${code})`
      : (code ?? (error instanceof Error ? error.message : String(error)));
  return new BorgopsError('E_HOST', `cannot write ${path}: ${reason}`, { cause: error });
}

const swept = new Set<string>();

/**
 * Removes borgops's own temporary files that a killed writer left in `dir` (regular files only,
 * never through a link, older than `minAgeMs`, default ten minutes); everything else stays.
 */
export async function sweepTemporaries(
  dir: string,
  now = Date.now(),
  minAgeMs = STALE_AFTER_MS,
): Promise<string[]> {
  const entries = (await orAbsent(readdir(dir, { withFileTypes: true }), 'list', dir)) ?? [];
  const removed: string[] = [];
  for (const entry of entries) {
    if (!entry.isFile() || !TEMPORARY.test(entry.name)) continue;
    const path = join(dir, entry.name);
    const info = await orAbsent(lstat(path), 'inspect', path);
    if (info === undefined || !info.isFile() || now - info.mtimeMs < minAgeMs) continue;
    await rm(path, { force: true });
    removed.push(entry.name);
  }
  return removed;
}

/**
 * Writes a file so that a reader (or a crash) sees the old content or the new, never half:
 * a temporary file in the same directory, fsync, rename over the target. On any failure the
 * temporary file is removed and the error names the file (ENOSPC in one line, no stack).
 */
export async function writeFileAtomic(
  path: string,
  content: string | Uint8Array,
  options: WriteOptions = {},
): Promise<void> {
  const dir = dirname(path);
  try {
    await mkdir(dir, { recursive: true, mode: options.dirMode ?? 0o700 });
  } catch (error: unknown) {
    throw writeError(dir, error);
  }
  if (!swept.has(dir)) {
    swept.add(dir);
    await sweepTemporaries(dir).catch(() => undefined);
  }
  const temporary = temporaryPath(path);
  try {
    await writeTemporary(temporary, content, options.mode ?? 0o644);
    await rename(temporary, path);
  } catch (error: unknown) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw writeError(path, error);
  }
}

/** A fresh name beside `path` for a file written before it is moved or linked into place; swept once stale. */
export function temporaryPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.borgops-${randomBytes(6).toString('hex')}.tmp`);
}

/** Writes and fsyncs a new file (never an existing one, never through a link) with exactly `mode`. */
async function writeTemporary(temporary: string, content: string | Uint8Array, mode: number): Promise<void> {
  const handle = await open(temporary, 'wx', mode);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  // the umask may have narrowed the mode given to open
  await chmod(temporary, mode);
}

export async function writeJsonAtomic(
  path: string,
  value: unknown,
  options: WriteOptions = {},
): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600, ...options });
}

/** A temporary file of writeFileAtomic (and only of it). */
export function isTemporaryFile(name: string): boolean {
  return TEMPORARY.test(name);
}

/**
 * Creates `path` with `content` only if nothing is there: written to a temporary file first and
 * hard-linked into place, so a reader never sees half a file and an existing one is never
 * replaced. Returns false when the path already existed.
 */
export async function writeFileExclusive(
  path: string,
  content: string | Uint8Array,
  options: WriteOptions = {},
): Promise<boolean> {
  const dir = dirname(path);
  const temporary = temporaryPath(path);
  try {
    await mkdir(dir, { recursive: true, mode: options.dirMode ?? 0o700 });
    await writeTemporary(temporary, content, options.mode ?? 0o644);
    await link(temporary, path);
    return true;
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw writeError(path, error);
  } finally {
    await rm(temporary, { force: true }).catch(() => undefined);
  }
}
