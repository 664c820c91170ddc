import { setTimeout as sleep } from 'node:timers/promises';
import { isBorgopsError } from '../errors.js';
import { acquireLock } from './lock.js';

/**
 * Runs `change` holding the lock file `lockPath`, waiting briefly (≈2 s) while another process
 * holds it: for read-modify-writes of small shared files (the schedule table, status.json).
 */
export async function withFileLock<T>(
  lockPath: string,
  command: string,
  change: () => Promise<T>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    let lock: Awaited<ReturnType<typeof acquireLock>>;
    try {
      lock = await acquireLock(lockPath, command);
    } catch (error: unknown) {
      if (!isBorgopsError(error, 'E_LOCK') || attempt >= 200) throw error;
      await sleep(10 + (attempt % 5) * 5);
      continue;
    }
    try {
      return await change();
    } finally {
      await lock.release();
    }
  }
}
