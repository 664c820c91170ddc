import { chown, lstat, mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.js';
import { orAbsent } from './fs-error.js';

export interface ObservedServed {
  exists: boolean;
  isDirectory: boolean;
}

export async function observeServed(path: string): Promise<ObservedServed> {
  const info = await orAbsent(lstat(path), 'stat', path);
  return { exists: info !== undefined, isDirectory: info?.isDirectory() ?? false };
}

/** A client's repository directory on a server; created, never deleted. */
export async function createServed(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
}

/** The borg user's authorized_keys for a server directory (its home). */
export function authorizedKeysPath(root: string, directory: string): string {
  return join(root, directory, '.ssh', 'authorized_keys');
}

export async function readAuthorizedKeys(path: string): Promise<string[] | undefined> {
  const text = await orAbsent(readFile(path, 'utf8'), 'read', path);
  return text === undefined ? undefined : text.split('\n').filter((line) => line.trim() !== '');
}

/**
 * Rewrites authorized_keys: removes exactly the lines borgops wrote before (`remove`), adds
 * `add`, and keeps every line borgops did not write, in place.
 */
export async function updateAuthorizedKeys(
  path: string,
  remove: readonly string[],
  add: readonly string[],
): Promise<void> {
  const current = (await readAuthorizedKeys(path)) ?? [];
  const before = await orAbsent(stat(path), 'stat', path);
  const dropping = new Set(remove);
  const kept = current.filter((line) => !dropping.has(line));
  const lines = [...kept, ...add.filter((line) => !kept.includes(line))];
  await writeFileAtomic(path, lines.length === 0 ? '' : `${lines.join('\n')}\n`, {
    mode: 0o600,
    dirMode: 0o700,
  });
  // the rewritten file keeps its owner: sshd reads it as the user it belongs to
  if (before !== undefined && process.getuid?.() === 0) await chown(path, before.uid, before.gid);
}
