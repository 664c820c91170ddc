import { readFile } from 'node:fs/promises';
import { BorgopsError } from '../errors.js';

/** A JSON file borgops owns, or `fallback` when it does not exist yet. A corrupt file is an error, never silently reset. */
export async function readJsonFile<T>(path: string, fallback: T): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw new BorgopsError('E_HOST', `cannot read ${path}`, { cause: error });
  }
  try {
    return JSON.parse(text) as T;
  } catch (error: unknown) {
    throw new BorgopsError('E_HOST', `${path} is not valid JSON; move it away to start over`, {
      cause: error,
    });
  }
}
