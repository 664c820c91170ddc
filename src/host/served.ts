import { chmod, type FileHandle, lstat, mkdir } from 'node:fs/promises';
import { basename, dirname, join, parse } from 'node:path';
import { BorgopsError } from '../errors.js';
import { orAbsent } from './fs-error.js';
import {
  inside,
  type Owner,
  openChildDirectory,
  openDirectory,
  openTrustedDirectory,
  readRegularFile,
  replaceFile,
} from './nofollow.js';

export type { Owner } from './nofollow.js';

/*
 * A server's files are reachable by its borg user, who may replace anything it owns with a
 * symlink: every component it could own (the server directory, a client's repository, the home,
 * .ssh, authorized_keys) is opened without following symlinks, and only what borgops creates now
 * is given to that user (fchown on the opened descriptor). What existed keeps its owner.
 */

export interface ObservedServed {
  exists: boolean;
  isDirectory: boolean;
}

export async function observeServed(path: string): Promise<ObservedServed> {
  const info = await orAbsent(lstat(path), 'stat', path);
  return { exists: info !== undefined, isDirectory: info?.isDirectory() ?? false };
}

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** Missing ancestors of a server directory are root's, 0755: the server user must reach what is below. */
async function makeAncestors(path: string): Promise<void> {
  const chain: string[] = [];
  for (let dir = path; dir !== parse(dir).root; dir = dirname(dir)) chain.unshift(dir);
  for (const dir of chain) {
    try {
      await mkdir(dir, { mode: 0o755 });
      await chmod(dir, 0o755);
    } catch (error: unknown) {
      if (errno(error) !== 'EEXIST') throw error;
    }
  }
}

/**
 * Opens a directory the server user may own (the server directory, its home), creating it when
 * missing (0700 for `owner`, or 0755 when borgops manages no accounts); its parent is root's.
 */
async function openServerDirectory(path: string, owner: Owner | undefined): Promise<FileHandle> {
  await makeAncestors(dirname(path));
  const parent = await openTrustedDirectory(dirname(path));
  try {
    const { handle } = await openChildDirectory(parent, basename(path), path, owner ? 0o700 : 0o755, owner);
    return handle;
  } finally {
    await parent.close();
  }
}

/** A client's repository directory on a server (0700, `owner`'s when created now); created, never deleted. */
export async function createServed(path: string, owner?: Owner): Promise<void> {
  const directory = await openServerDirectory(dirname(path), owner);
  try {
    const { handle } = await openChildDirectory(directory, basename(path), path, 0o700, owner);
    await handle.close();
  } finally {
    await directory.close();
  }
}

/** The borg user's authorized_keys for a server directory (its home). */
export function authorizedKeysPath(root: string, directory: string): string {
  return join(root, directory, '.ssh', 'authorized_keys');
}

function sshParts(path: string): { home: string; ssh: string } {
  const ssh = dirname(path);
  if (basename(path) !== 'authorized_keys' || basename(ssh) !== '.ssh') {
    throw new BorgopsError('E_GUARD', `refusing ${path}: not a home's .ssh/authorized_keys`);
  }
  return { home: dirname(ssh), ssh };
}

async function openSsh(
  path: string,
  owner: Owner | undefined,
  create: boolean,
): Promise<{ home: FileHandle; ssh: FileHandle } | undefined> {
  const parts = sshParts(path);
  if (!create) {
    const parent = await openTrustedDirectory(dirname(parts.home)).catch(() => undefined);
    if (!parent) return undefined;
    try {
      const home = await openExisting(parent, basename(parts.home), parts.home);
      if (!home) return undefined;
      const ssh = await openExisting(home, '.ssh', parts.ssh);
      if (!ssh) {
        await home.close();
        return undefined;
      }
      return { home, ssh };
    } finally {
      await parent.close();
    }
  }
  const home = await openServerDirectory(parts.home, owner);
  try {
    const { handle: ssh } = await openChildDirectory(home, '.ssh', parts.ssh, 0o700, owner);
    return { home, ssh };
  } catch (error: unknown) {
    await home.close();
    throw error;
  }
}

async function openExisting(
  parent: FileHandle,
  name: string,
  shown: string,
): Promise<FileHandle | undefined> {
  try {
    return await openDirectory(inside(parent, name), shown);
  } catch (error: unknown) {
    if (errno((error as { cause?: unknown }).cause) === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The lines of authorized_keys, or undefined when it is missing or cannot be read safely (a
 * symlinked home, .ssh or file, or not a regular file: applying then refuses with the reason).
 */
export async function readAuthorizedKeys(path: string): Promise<string[] | undefined> {
  const opened = await openSsh(path, undefined, false).catch(() => undefined);
  if (!opened) return undefined;
  try {
    const found = await readRegularFile(opened.ssh, 'authorized_keys', path).catch(() => undefined);
    return found?.text.split('\n').filter((line) => line.trim() !== '');
  } finally {
    await opened.ssh.close();
    await opened.home.close();
  }
}

/**
 * Rewrites authorized_keys: removes exactly the lines borgops wrote before (`remove`), adds
 * `add`, and keeps every line borgops did not write, in place. A new file (and a new .ssh or
 * home) is `owner`'s; a rewritten one keeps its owner, as sshd reads it as the user it belongs to.
 */
export async function updateAuthorizedKeys(
  path: string,
  remove: readonly string[],
  add: readonly string[],
  owner?: Owner,
): Promise<void> {
  const opened = await openSsh(path, owner, true);
  if (!opened) throw new BorgopsError('E_HOST', `cannot open ${dirname(path)}`);
  try {
    const found = await readRegularFile(opened.ssh, 'authorized_keys', path);
    const current = found?.text.split('\n').filter((line) => line.trim() !== '') ?? [];
    const dropping = new Set(remove);
    const kept = current.filter((line) => !dropping.has(line));
    const lines = [...kept, ...add.filter((line) => !kept.includes(line))];
    const root = process.getuid?.() === 0;
    const fileOwner = found && root ? { uid: found.stats.uid, gid: found.stats.gid } : owner;
    await replaceFile(
      opened.ssh,
      'authorized_keys',
      path,
      lines.length === 0 ? '' : `${lines.join('\n')}\n`,
      0o600,
      fileOwner,
    );
  } finally {
    await opened.ssh.close();
    await opened.home.close();
  }
}
