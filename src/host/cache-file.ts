import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { z } from 'zod';
import { writeJsonAtomic } from './atomic.js';
import { readOwnFile } from './nofollow.js';

/*
 * Caches in borgops's own state directory (`borg-version.json`, `bash-syntax.json`): they only
 * save work, so a cache is never an error. Missing, unreadable, a link, or of another shape: no
 * cache. Unwritable: the next run does the work again.
 */

export async function readCache<T>(file: string, schema: z.ZodType<T>): Promise<T | undefined> {
  try {
    const data = await readOwnFile(file);
    if (data === undefined) return undefined;
    const parsed = schema.safeParse(JSON.parse(data.toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the cache; false when it was not written (no state directory yet, a read-only one). */
export async function writeCache(file: string, value: unknown): Promise<boolean> {
  try {
    // never the first file of a state directory: a command that writes nothing else creates none
    if (!(await stat(dirname(file))).isDirectory()) return false;
    await writeJsonAtomic(file, value);
    return true;
  } catch {
    // a read-only state directory (a dry run, a rescue system)
    return false;
  }
}
