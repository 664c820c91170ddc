import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BorgopsError } from '../errors.js';
import { isTemporaryFile, sweepTemporaries, writeFileAtomic } from './atomic.js';
import { orAbsent } from './fs-error.js';

export interface HookFile {
  content: string;
  mode: number;
}

/** Every regular file in the hooks directory; foreign files are reported too, and left alone by plan. */
export async function observeHooks(dir: string): Promise<Record<string, HookFile>> {
  const hooks: Record<string, HookFile> = {};
  const entries = (await orAbsent(readdir(dir, { withFileTypes: true }), 'list', dir)) ?? [];
  for (const entry of entries) {
    if (!entry.isFile() || isTemporaryFile(entry.name)) continue;
    const path = join(dir, entry.name);
    const [content, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    hooks[entry.name] = { content, mode: info.mode & 0o777 };
  }
  return hooks;
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
