import { constants, type Stats } from 'node:fs';
import { type FileHandle, lstat, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename } from 'node:path';
import { BorgopsError } from '../errors.js';
import { temporaryPath, writeError } from './atomic.js';

/*
 * Paths a less privileged user can change (a server user's home, its .ssh, its repositories)
 * are walked one component at a time through opened directories (`/proc/self/fd/N/name`, Linux's
 * openat), with O_NOFOLLOW: a component swapped for a symlink is refused, never followed, and
 * owners are changed with fchown on what was opened.
 */

export interface Owner {
  uid: number;
  gid: number;
}

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK, O_WRONLY, O_CREAT, O_EXCL } = constants;

function code(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** The path of `name` inside an opened directory, resolved through the descriptor, not the name. */
export function inside(dir: FileHandle, name: string): string {
  return `/proc/self/fd/${dir.fd}/${name}`;
}

/** Opens a directory root controls (the parents of a server directory): symlinks there are root's own. */
export async function openTrustedDirectory(path: string): Promise<FileHandle> {
  return open(path, O_RDONLY | O_DIRECTORY);
}

/** Opens a directory without following a symlink in its last component. */
export async function openDirectory(path: string, shown = path): Promise<FileHandle> {
  try {
    return await open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (error: unknown) {
    if (code(error) === 'ELOOP' || code(error) === 'ENOTDIR') {
      throw new BorgopsError(
        'E_HOST',
        `${shown} is not a directory (a symlink or a file); refusing to use it`,
        { cause: error },
      );
    }
    throw new BorgopsError('E_HOST', `cannot open ${shown}: ${code(error) ?? String(error)}`, {
      cause: error,
    });
  }
}

/**
 * Opens directory `name` inside `parent`, creating it with `mode` when missing; a directory
 * created now is given to `owner` (fchown), one that existed keeps its owner.
 */
export async function openChildDirectory(
  parent: FileHandle,
  name: string,
  shown: string,
  mode: number,
  owner?: Owner,
): Promise<{ handle: FileHandle; created: boolean }> {
  let created = false;
  try {
    await mkdir(inside(parent, name), { mode });
    created = true;
  } catch (error: unknown) {
    if (code(error) !== 'EEXIST') {
      throw new BorgopsError('E_HOST', `cannot create ${shown}: ${code(error) ?? String(error)}`, {
        cause: error,
      });
    }
  }
  const handle = await openDirectory(inside(parent, name), shown);
  try {
    if (created) {
      await handle.chmod(mode);
      if (owner) await handle.chown(owner.uid, owner.gid);
    }
  } catch (error: unknown) {
    await handle.close();
    throw error;
  }
  return { handle, created };
}

/** A regular file inside an opened directory, or undefined when missing; a symlink or a device is refused. */
export async function readRegularFile(
  dir: FileHandle,
  name: string,
  shown: string,
): Promise<{ text: string; stats: Stats } | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(inside(dir, name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (error: unknown) {
    if (code(error) === 'ENOENT') return undefined;
    if (code(error) === 'ELOOP') {
      throw new BorgopsError('E_HOST', `${shown} is a symlink; refusing to read or replace it`, {
        cause: error,
      });
    }
    throw error;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      throw new BorgopsError('E_HOST', `${shown} is not a regular file; refusing to read or replace it`);
    }
    return { text: await handle.readFile('utf8'), stats };
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `name` in an opened directory atomically (temporary file, fsync, rename), owned by
 * `owner`; a failure (a full disk) names `shown` in one line and leaves no temporary file.
 */
export async function replaceFile(
  dir: FileHandle,
  name: string,
  shown: string,
  content: string,
  mode: number,
  owner?: Owner,
): Promise<void> {
  const temporary = basename(temporaryPath(name));
  try {
    const handle = await open(inside(dir, temporary), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
    try {
      await handle.writeFile(content);
      await handle.chmod(mode);
      if (owner) await handle.chown(owner.uid, owner.gid);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(inside(dir, temporary), inside(dir, name));
  } catch (error: unknown) {
    await rm(inside(dir, temporary), { force: true });
    throw error instanceof BorgopsError ? error : writeError(shown, error);
  }
}

/**
 * A file of borgops's own state directory (a hook, a secret), opened with O_NOFOLLOW and checked
 * on what was opened: undefined when missing, refused when a symlink or not a regular file.
 */
export async function readOwnFile(path: string): Promise<Buffer | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (error: unknown) {
    if (code(error) === 'ENOENT') return undefined;
    if (code(error) === 'ELOOP')
      throw new BorgopsError('E_HOST', `${path} is a symlink; refusing to follow it (remove it)`, {
        cause: error,
      });
    throw error;
  }
  try {
    if (!(await handle.stat()).isFile())
      throw new BorgopsError('E_HOST', `${path} is not a regular file; refusing to read it (remove it)`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** Whether a file of borgops's own exists (lstat): false when missing, refused when a symlink or not a regular file. */
export async function ownFileExists(path: string): Promise<boolean> {
  let stats: Stats;
  try {
    stats = await lstat(path);
  } catch (error: unknown) {
    if (code(error) === 'ENOENT') return false;
    throw error;
  }
  if (stats.isSymbolicLink())
    throw new BorgopsError('E_HOST', `${path} is a symlink; refusing to follow it (remove it)`);
  if (!stats.isFile())
    throw new BorgopsError('E_HOST', `${path} is not a regular file; refusing to use it (remove it)`);
  return true;
}
