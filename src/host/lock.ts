import { randomBytes } from 'node:crypto';
import { copyFile, link, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { z } from 'zod';
import { BorgopsError } from '../errors.js';
import { sleep } from '../util/sleep.js';
import { hostFsError, orAbsent } from './fs-error.js';
import { parseStateFile, readTextIfExists, type StateFile, versioned } from './json-file.js';

/** Who holds a lock. The previous release wrote lock files without `version`: they read as version 1. */
export const LockHolder = versioned({
  pid: z.number().int(),
  host: z.string(),
  command: z.string(),
  startedAt: z.string(),
  /** Tells this holder from another of the same process (two async callers). */
  token: z.string().optional(),
});
export type LockHolder = z.infer<typeof LockHolder>;

const lockFile: StateFile<LockHolder> = { what: 'lock file', schema: LockHolder };

export interface Lock {
  holder: LockHolder;
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error: unknown) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The holder named in a lock file; undefined when there is no file, `unreadable` when its
 * content is not JSON (an empty file a killed writer left). JSON of another shape is a named error.
 */
async function readHolder(path: string): Promise<LockHolder | 'unreadable' | undefined> {
  const text = await readTextIfExists(path);
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'unreadable';
  }
  return parseStateFile(path, lockFile, value);
}

function tokenOf(current: LockHolder | 'unreadable' | undefined): string | undefined {
  return typeof current === 'object' ? current.token : undefined;
}

/**
 * One apply at a time per state directory. The lock names its holder; a lock left by a dead
 * process on this host is taken over, a live one is an error that names it.
 */
export async function acquireLock(path: string, command: string): Promise<Lock> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const holder: LockHolder = {
    version: 1,
    pid: process.pid,
    host: hostname(),
    command,
    startedAt: new Date().toISOString(),
    token: randomBytes(8).toString('hex'),
  };
  // the lock file appears with its content at once (link of a written file), so nobody ever
  // reads a half-written lock and mistakes it for a stale one
  const staged = `${path}.${holder.token}.tmp`;
  await writeFile(staged, `${JSON.stringify(holder)}\n`, { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await link(staged, path);
        return { holder, release: () => releaseIfOurs(path, holder) };
      } catch (error: unknown) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw hostFsError('create the lock', path, error);
        }
      }
      const current = await readHolder(path);
      // released between our link and this read: try the link again (never a takeover)
      if (current === undefined) continue;
      if (current !== 'unreadable' && (current.host !== holder.host || alive(current.pid))) {
        throw new BorgopsError(
          'E_LOCK',
          `another borgops holds ${path}: pid ${current.pid} on ${current.host} (${current.command}) since ${current.startedAt}`,
        );
      }
      if (current === 'unreadable' && !(await olderThan(path, 10_000))) {
        throw new BorgopsError('E_LOCK', `${path} is unreadable; another borgops may be starting`);
      }
      // stale: a dead holder, or a file left unreadable long ago; replace it atomically
      await copyFile(staged, `${staged}.replace`);
      await rename(`${staged}.replace`, path);
      if (tokenOf(await readHolder(path)) === holder.token)
        return { holder, release: () => releaseIfOurs(path, holder) };
    }
  } finally {
    await rm(staged, { force: true });
  }
  throw new BorgopsError('E_LOCK', `could not take the lock ${path}; another borgops is starting`);
}

async function releaseIfOurs(path: string, holder: LockHolder): Promise<void> {
  if (tokenOf(await readHolder(path)) === holder.token) await rm(path, { force: true });
}

async function olderThan(path: string, ms: number): Promise<boolean> {
  const info = await orAbsent(stat(path), 'stat', path);
  return info === undefined || Date.now() - info.mtimeMs > ms;
}

export interface WaitOptions {
  signal?: AbortSignal;
  /** How often to try again (default 1 s). */
  pollMs?: number;
  /** Called once, when the lock is held by someone else, with that error's message. */
  onWait?: (message: string) => void;
}

/** acquireLock, waiting while another live process holds it (until `signal` aborts). */
export async function waitForLock(path: string, command: string, options: WaitOptions = {}): Promise<Lock> {
  let waiting = false;
  for (;;) {
    try {
      return await acquireLock(path, command);
    } catch (error: unknown) {
      if (!(error instanceof BorgopsError) || error.code !== 'E_LOCK') throw error;
      if (options.signal?.aborted) throw error;
      if (!waiting) options.onWait?.(error.shortMessage);
      waiting = true;
    }
    await sleep(options.pollMs ?? 1000, options.signal);
  }
}
