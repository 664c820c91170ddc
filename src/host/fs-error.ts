import { BorgopsError } from '../errors.js';

/** What an errno means, in the words of `strerror`, for one-line messages (no stack, no JS wording). */
const MEANING: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a component of the path is not a directory',
  EEXIST: 'file exists',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  EMFILE: 'too many open files',
  EBUSY: 'device or resource busy',
  EIO: 'input/output error',
};

export function errnoCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

/**
 * The errno under borgops's own wrapping: a write error names the file as a BorgopsError
 * (`E_HOST`) whose cause is the system's error.
 */
export function underlyingErrno(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current instanceof BorgopsError; depth++) current = current.cause;
  return errnoCode(current);
}

/** The error is "no such file": the only read error that means "absent". */
export function isNotFound(error: unknown): boolean {
  return errnoCode(error) === 'ENOENT';
}

/** `is a directory (EISDIR)`, or the error's own message for an errno not in the table. */
export function errnoText(error: unknown): string {
  const code = errnoCode(error);
  if (code !== undefined && MEANING[code] !== undefined) return `${MEANING[code]} (${code})`;
  if (code !== undefined) return code;
  return error instanceof Error ? error.message : String(error);
}

/**
 * A file system error as one line naming the path and what the errno means
 * (`cannot read /x/ledger.json: is a directory (EISDIR)`), E_HOST with the original as cause.
 */
export function hostFsError(action: string, path: string, error: unknown): BorgopsError {
  if (error instanceof BorgopsError) return error;
  return new BorgopsError('E_HOST', `cannot ${action} ${path}: ${errnoText(error)}`, { cause: error });
}

/**
 * What `operation` on `path` returns, or `undefined` when the path does not exist (ENOENT). Any
 * other error (EACCES, EISDIR, ENOTDIR…) is not "absent": it becomes a named E_HOST error.
 */
export async function orAbsent<T>(
  operation: Promise<T>,
  action: string,
  path: string,
): Promise<T | undefined> {
  try {
    return await operation;
  } catch (error: unknown) {
    if (isNotFound(error)) return undefined;
    throw hostFsError(action, path, error);
  }
}
