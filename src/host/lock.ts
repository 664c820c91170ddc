import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, lstat, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, uptime } from 'node:os';
import { dirname } from 'node:path';
import { z } from 'zod';
import { BorgopsError } from '../errors.js';
import { sleep } from '../util/sleep.js';
import { temporaryPath, writeError } from './atomic.js';
import { orAbsent } from './fs-error.js';
import { readTextIfExists, versioned } from './json-file.js';

/**
 * Who holds a lock. The previous release wrote lock files without `version`: they read as
 * version 1. A lock file of another shape is not an error but "unreadable": like one a killed
 * writer left empty, it is taken over once old (a corrupt lock must not stop backups for good).
 */
export const LockHolder = versioned({
  pid: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  host: z.string(),
  command: z.string(),
  startedAt: z.string(),
  /** Tells this holder from another of the same process (two async callers). */
  token: z.string().optional(),
  /** The kernel's boot id when the lock was taken: a lock from an earlier boot is stale. */
  bootId: z.string().optional(),
  /** The holder's start time (field 22 of /proc/<pid>/stat): a reused PID has another one. */
  processStart: z.string().optional(),
});
export type LockHolder = z.infer<typeof LockHolder>;

/** A lock of a holder on another host, or one that cannot be read, is taken over only once this old. */
export const FOREIGN_STALE_MS = 6 * 3600_000;
const UNREADABLE_STALE_MS = 10_000;

function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat (clock ticks after boot): with the boot id it names one process for good. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) is in parentheses and may hold spaces or ")"
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[22 - 3];
  } catch {
    return undefined;
  }
}

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
 * The holder a lock file names; undefined when there is none or it is not a lock holder (not
 * JSON, another shape). A read error other than ENOENT (EISDIR, EACCES) is a named error.
 */
async function readHolder(path: string): Promise<LockHolder | undefined> {
  const text = await readTextIfExists(path);
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = LockHolder.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/**
 * Whether the holder still runs. A lock outlives a crash and a reboot (the state directory
 * does), and after one its PID often names some other live process: the boot id and the
 * process's start time tell them apart; a lock file older than this boot is stale whatever it says.
 */
async function holderAlive(path: string, holder: LockHolder): Promise<boolean> {
  if (holder.host !== hostname()) return !(await olderThan(path, FOREIGN_STALE_MS));
  const info = await orAbsent(stat(path), 'inspect the lock', path);
  if (info !== undefined && info.mtimeMs < Date.now() - uptime() * 1000) return false;
  const boot = bootId();
  if (holder.bootId !== undefined && boot !== undefined && holder.bootId !== boot) return false;
  if (!alive(holder.pid)) return false;
  if (holder.processStart !== undefined) {
    const now = processStart(holder.pid);
    if (now !== undefined && now !== holder.processStart) return false;
  }
  return true;
}

function describeHolder(holder: LockHolder): string {
  return `pid ${holder.pid} on ${holder.host} (${holder.command}) since ${holder.startedAt}`;
}

/**
 * One apply at a time per state directory. The lock names its holder; a lock left by a dead
 * process on this host is taken over, a live one is an error that names it.
 */
export async function acquireLock(path: string, command: string): Promise<Lock> {
  const holder: LockHolder = {
    version: 1,
    pid: process.pid,
    host: hostname(),
    command,
    startedAt: new Date().toISOString(),
    token: randomBytes(8).toString('hex'),
    ...optional('bootId', bootId()),
    ...optional('processStart', processStart(process.pid)),
  };
  const held: Lock = { holder, release: () => releaseIfOurs(path, holder) };
  // the lock file appears with its content at once (link of a written file), so nobody ever
  // reads a half-written lock and mistakes it for a stale one
  const staged = temporaryPath(path);
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFile(staged, `${JSON.stringify(holder)}\n`, { mode: 0o600, flag: 'wx' });
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await linkOrExists(staged, path)) return held;
      const refused = await refusal(path);
      if (refused !== undefined) throw refused;
      if (await replaceStale(path, staged)) return held;
    }
  } catch (error: unknown) {
    throw error instanceof BorgopsError ? error : writeError(path, error);
  } finally {
    await rm(staged, { force: true });
  }
  throw new BorgopsError('E_LOCK', `could not take the lock ${path}; another borgops is starting`);
}

/** Hard-links `from` to `to`; false when `to` exists already. */
async function linkOrExists(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
    return true;
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** What the lock file says: its holder, or that it is unreadable, or gone (released). */
type Seen = LockHolder | 'unreadable' | 'missing';

async function readLock(path: string): Promise<Seen> {
  try {
    await lstat(path);
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
  }
  return (await readHolder(path)) ?? 'unreadable';
}

/** Why the lock at `path` cannot be taken now, or undefined when it is stale or gone. */
async function refusal(path: string, seen?: Seen): Promise<BorgopsError | undefined> {
  const read = seen ?? (await readLock(path));
  if (read === 'missing') return undefined;
  const current = read === 'unreadable' ? undefined : read;
  if (current && (await holderAlive(path, current))) {
    return new BorgopsError('E_LOCK', `another borgops holds ${path}: ${describeHolder(current)}`);
  }
  if (!current && !(await olderThan(path, UNREADABLE_STALE_MS))) {
    return new BorgopsError('E_LOCK', `${path} is unreadable; another borgops may be starting`);
  }
  return undefined;
}

/**
 * Replaces a stale lock (a dead holder, or a file left unreadable long ago) with `staged`. Two
 * processes may both have found it stale, and the later rename would silently replace the
 * earlier one's fresh lock: the replacement is made under a second lock, after judging again.
 */
async function replaceStale(path: string, staged: string): Promise<boolean> {
  const guard = `${path}.takeover`;
  if (!(await linkOrExists(staged, guard))) {
    // a guard a killed process left behind is cleared once old; a young one is someone replacing now
    if (await olderThan(guard, UNREADABLE_STALE_MS)) await rm(guard, { force: true });
    return false;
  }
  try {
    const seen = await readLock(path);
    // released meanwhile: a newcomer may link its lock in at any moment, and a rename would
    // replace it unseen (two holders); a link fails instead when someone was first. A stale
    // file seen here stays: only a holder of the guard replaces it, and nobody else removes it.
    if (seen === 'missing') return linkOrExists(staged, path);
    if ((await refusal(path, seen)) !== undefined) return false;
    await rename(staged, path);
    return true;
  } finally {
    await rm(guard, { force: true });
  }
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

async function releaseIfOurs(path: string, holder: LockHolder): Promise<void> {
  const current = await readHolder(path);
  if (current?.token === holder.token) await rm(path, { force: true });
}

async function olderThan(path: string, ms: number): Promise<boolean> {
  const info = await orAbsent(stat(path), 'inspect the lock', path);
  return info === undefined || Date.now() - info.mtimeMs > ms;
}

export interface WaitOptions {
  signal?: AbortSignal;
  /** How often to try again (default 1 s). */
  pollMs?: number;
  /** Called once, when the lock is held by someone else, with that error's message. */
  onWait?: (message: string) => void;
  /** Give up after this long (an E_LOCK error naming the holder); default: wait until `signal` aborts. */
  timeoutMs?: number;
}

/** acquireLock, waiting while another live process holds it (until `signal` aborts). */
export async function waitForLock(path: string, command: string, options: WaitOptions = {}): Promise<Lock> {
  let waiting = false;
  const deadline = options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs;
  for (;;) {
    try {
      return await acquireLock(path, command);
    } catch (error: unknown) {
      if (!(error instanceof BorgopsError) || error.code !== 'E_LOCK') throw error;
      if (options.signal?.aborted) throw error;
      if (deadline !== undefined && Date.now() >= deadline) {
        throw new BorgopsError(
          'E_LOCK',
          `gave up after waiting ${Math.round((options.timeoutMs ?? 0) / 1000)} s for the lock: ${error.shortMessage}`,
          { cause: error },
        );
      }
      if (!waiting) options.onWait?.(error.shortMessage);
      waiting = true;
    }
    const poll = options.pollMs ?? 1000;
    await sleep(
      deadline === undefined ? poll : Math.max(0, Math.min(poll, deadline - Date.now())),
      options.signal,
    );
  }
}

/**
 * Runs `change` under the lock at `path`, for a short read-modify-write of a file that several
 * processes write (the schedule table, the notification failure counts): a busy lock is tried
 * again after a few milliseconds, a few hundred times, before giving up with E_LOCK.
 */
export async function withShortLock<T>(path: string, command: string, change: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      const lock = await acquireLock(path, command);
      try {
        return await change();
      } finally {
        await lock.release();
      }
    } catch (error: unknown) {
      if (!(error instanceof BorgopsError) || error.code !== 'E_LOCK' || attempt >= 200) throw error;
      await sleep(10 + (attempt % 5) * 5);
    }
  }
}
