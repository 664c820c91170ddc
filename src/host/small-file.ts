import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { errnoCode } from './fs-error.js';

/**
 * A small file's content, or undefined when it is absent, a symlink (never followed), not a
 * regular file (O_NONBLOCK: a FIFO never blocks the read) or larger than `limit` bytes.
 */
export async function readSmall(path: string, limit: number): Promise<Buffer | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error: unknown) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ELOOP') return undefined;
    throw error;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.size > limit) return undefined;
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}
