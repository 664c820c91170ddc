import { constants } from 'node:fs';
import { type FileHandle, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BorgopsError } from '../errors.js';
import { isTemporaryFile, sweepTemporaries, writeFileAtomic } from './atomic.js';
import { orAbsent } from './fs-error.js';
import { readOwnFile } from './nofollow.js';

export interface HookFile {
  content: string;
  mode: number;
}

/** Every regular file in the hooks directory; foreign files are reported too, and left alone by plan. */
export async function observeHooks(dir: string): Promise<Record<string, HookFile>> {
  const hooks: Record<string, HookFile> = {};
  const entries = (await orAbsent(readdir(dir, { withFileTypes: true }), 'list', dir)) ?? [];
  for (const entry of entries) {
    if (isTemporaryFile(entry.name)) continue;
    // a hook swapped for a symlink is refused (a run would execute whatever it points at)
    if (entry.isSymbolicLink()) await readOwnFile(join(dir, entry.name));
    if (!entry.isFile()) continue;
    const path = join(dir, entry.name);
    const hook = await readHookFile(path);
    if (hook !== undefined) hooks[entry.name] = hook;
  }
  return hooks;
}

/** One hook read through one O_NOFOLLOW descriptor: content and mode of the same file. */
async function readHookFile(path: string): Promise<HookFile | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') await readOwnFile(path);
    throw error;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return undefined;
    return { content: await handle.readFile('utf8'), mode: info.mode & 0o777 };
  } finally {
    await handle.close();
  }
}

export const HOOK_MODE = 0o700;

/** Removes temporary files a killed writer left in the hooks directory: under the apply lock, none is being written. */
export async function removeStaleTemporaryFiles(dir: string): Promise<string[]> {
  return sweepTemporaries(dir, Date.now(), 0);
}

/** A hook name is a plain file name (`pre-backup-<state>`): checked where it is used, whatever made it. */
export function hookPath(dir: string, name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name)) {
    throw new BorgopsError('E_GUARD', `refusing hook name ${JSON.stringify(name)}: not a plain file name`);
  }
  return join(dir, name);
}

export async function writeHook(dir: string, name: string, content: string): Promise<string> {
  const path = hookPath(dir, name);
  await writeFileAtomic(path, content, { mode: HOOK_MODE });
  return path;
}

export async function removeHook(dir: string, name: string): Promise<void> {
  await rm(hookPath(dir, name), { force: true });
}
