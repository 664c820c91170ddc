import { rmSync } from 'node:fs';
import { lstat, mkdtemp, open, readdir, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { errorMessage } from '../errors.js';
import { errnoCode } from '../host/fs-error.js';
import type { Logger } from '../log.js';
import { decryptWith, readIdentities } from '../secrets/age.js';
import { type BorgCommand, BorgError } from './errors.js';
import type { BorgTarget, CommittedKey } from './types.js';

/*
 * keyfile modes keep the repository key outside the repository: on the machine, in borg's keys
 * directory. A new machine or an admin's workstation has none there, so the committed
 * `<d>.key.age` (a `borg key export`, age-encrypted) is decrypted in memory and handed to borg
 * as BORG_KEY_FILE: a 0600 file in a private 0700 directory that exists only while that borg
 * process runs, removed afterwards, and on SIGINT, SIGTERM, SIGHUP and exit. A borgops killed
 * with SIGKILL cannot remove it: the next borgops that needs a key removes it (sweepDead).
 */

const KEY_LINE = /^BORG_KEY ([0-9a-f]{64})\n/;
const TEMP_PREFIX = 'borgops-key-';
/** `borgops-key-<pid>-XXXXXX` (mkdtemp's six characters): the process that holds it. */
const TEMP_NAME = /^borgops-key-([1-9][0-9]*)-[A-Za-z0-9]{6}$/;

/** borg 1.2's keys directory (helpers/fs.py get_keys_dir) for the environment borg runs with. */
export function borgKeysDir(env: Readonly<Record<string, string | undefined>>, cwd?: string): string {
  const at = (path: string) => resolve(cwd ?? process.cwd(), path);
  if (env.BORG_KEYS_DIR !== undefined) return at(env.BORG_KEYS_DIR);
  const base = env.BORG_BASE_DIR || env.HOME || homedir();
  const configHome = env.BORG_BASE_DIR
    ? join(base, '.config')
    : (env.XDG_CONFIG_HOME ?? join(base, '.config'));
  return at(join(env.BORG_CONFIG_DIR ?? join(configHome, 'borg'), 'keys'));
}

/** The repository id a `borg key export` names in its first line, as borg's keyfile check reads it. */
export function keyRepositoryId(key: Uint8Array): string | undefined {
  return KEY_LINE.exec(Buffer.from(key.subarray(0, 80)).toString('latin1'))?.[1];
}

/** Whether a file in the keys directory starts with `BORG_KEY <id>` (any id when `id` is undefined). */
export async function hasLocalKey(keysDir: string, id?: string): Promise<boolean> {
  const entries = await readdir(keysDir, { withFileTypes: true }).catch(() => []);
  const prefix = Buffer.from(id === undefined ? 'BORG_KEY ' : `BORG_KEY ${id}`);
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const handle = await open(join(keysDir, entry.name), 'r').catch(() => undefined);
    if (handle === undefined) continue;
    try {
      const head = Buffer.alloc(prefix.length);
      const { bytesRead } = await handle.read(head, 0, prefix.length, 0);
      if (bytesRead === prefix.length && head.equals(prefix)) return true;
    } finally {
      await handle.close();
    }
  }
  return false;
}

type Decrypted = { ok: true; key: Uint8Array; id: string } | { ok: false; reason: string; cause: unknown };

async function decrypt(committed: CommittedKey): Promise<Decrypted> {
  let key: Uint8Array;
  try {
    key = await decryptWith(await readIdentities(committed.identity), committed.armored);
  } catch (error: unknown) {
    return {
      ok: false,
      reason: `cannot decrypt ${committed.file} with ${committed.identity} (${errorMessage(error)})`,
      cause: error,
    };
  }
  const id = keyRepositoryId(key);
  if (id === undefined) {
    key.fill(0);
    return {
      ok: false,
      reason: `${committed.file} decrypts, but is not a borg key export (its first line is not "BORG_KEY <repository id>")`,
      cause: undefined,
    };
  }
  return { ok: true, key, id };
}

// One decryption per committed key object (one command's targets of a destination share it).
const decrypted = new WeakMap<CommittedKey, Promise<Decrypted>>();

function decryptOnce(committed: CommittedKey): Promise<Decrypted> {
  let result = decrypted.get(committed);
  if (result === undefined) {
    result = decrypt(committed);
    decrypted.set(committed, result);
  }
  return result;
}

/**
 * The repository a committed key export names (`BORG_KEY <id>`), or why it cannot be read. The
 * decryption is the one the command's borg processes share; the key stays in memory only.
 */
export async function committedKeyRepository(
  committed: CommittedKey,
): Promise<{ ok: true; id: string } | { ok: false; reason: string }> {
  const result = await decryptOnce(committed);
  return result.ok ? { ok: true, id: result.id } : { ok: false, reason: result.reason };
}

const live = new Set<string>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function removeLive(): void {
  for (const dir of live) rmSync(dir, { recursive: true, force: true });
  live.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  removeLive();
  uninstall();
  // nobody else handles it: die of it as Node would have without this handler
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

const handlers = new Map(SIGNALS.map((signal) => [signal, () => onSignal(signal)]));

function install(): void {
  process.on('exit', removeLive);
  for (const [signal, handler] of handlers) process.on(signal, handler);
}

function uninstall(): void {
  process.off('exit', removeLive);
  for (const [signal, handler] of handlers) process.off(signal, handler);
}

/** A temporary BORG_KEY_FILE; `release` removes it (and its directory). */
export interface KeyFileLease {
  path: string;
  /**
   * borg's keys directory holds keys of other repositories, one of which may be this one's
   * (the committed key is then stale, e.g. after a re-init): on borg's KeyfileMismatchError the
   * process is run again without the committed key.
   */
  localKeys: boolean;
  release(): Promise<void>;
}

// Committed keys borg said belong to another repository while this host has keys of its own.
const mismatched = new WeakSet<CommittedKey>();

/** borg refused the committed key for this repository: the rest of the command uses borg's own keys. */
export function committedKeyMismatched(committed: CommittedKey): void {
  mismatched.add(committed);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error: unknown) {
    // EPERM: it exists, as another user's process
    return errnoCode(error) === 'EPERM';
  }
}

const swept = new Map<string, Promise<void>>();

/**
 * Key directories of borgops processes that are gone (SIGKILL, a crash, power loss): removed once
 * per process, before its first key is written. Only this user's directories, only real
 * directories (never through a link), and never one whose process still runs (a reused PID keeps
 * its directory: left, not lost).
 */
export function sweepDead(dir = tmpdir()): Promise<void> {
  let sweep = swept.get(dir);
  if (sweep !== undefined) return sweep;
  sweep = (async () => {
    const names = await readdir(dir).catch(() => [] as string[]);
    const uid = process.getuid?.();
    for (const name of names) {
      const pid = Number(TEMP_NAME.exec(name)?.[1]);
      if (!Number.isSafeInteger(pid) || pid === process.pid || alive(pid)) continue;
      const path = join(dir, name);
      const info = await lstat(path).catch(() => undefined);
      if (info === undefined || !info.isDirectory() || (uid !== undefined && info.uid !== uid)) continue;
      await rm(path, { recursive: true, force: true }).catch(() => undefined);
    }
  })();
  swept.set(dir, sweep);
  return sweep;
}

async function lease(key: Uint8Array, localKeys: boolean): Promise<KeyFileLease> {
  await sweepDead();
  const dir = await mkdtemp(join(tmpdir(), `${TEMP_PREFIX}${process.pid}-`));
  if (live.size === 0) install();
  live.add(dir);
  const path = join(dir, 'key');
  const release = async () => {
    await rm(dir, { recursive: true, force: true });
    live.delete(dir);
    if (live.size === 0) uninstall();
  };
  try {
    await writeFile(path, key, { mode: 0o600, flag: 'wx' });
  } catch (error: unknown) {
    await release();
    throw error;
  }
  return { path, localKeys, release };
}

/**
 * The BORG_KEY_FILE a borg process of `target` needs: none when the target has no committed key,
 * for `borg init` (borg would write the new key there), or when borg's keys directory already
 * holds the repository's key (this machine's own); otherwise the committed key, decrypted.
 */
export async function committedKeyFile(
  target: BorgTarget,
  command: BorgCommand,
  keysDir: string,
  logger: Logger,
): Promise<KeyFileLease | undefined> {
  const committed = target.key;
  if (committed === undefined || command === 'init' || command === 'version') return undefined;
  if (mismatched.has(committed)) return undefined;
  const result = await decryptOnce(committed);
  if (result.ok) {
    if (await hasLocalKey(keysDir, result.id)) return undefined;
    return lease(result.key, await hasLocalKey(keysDir));
  }
  // this machine's own key still opens its repository: a broken committed copy must not stop backups
  if (await hasLocalKey(keysDir)) {
    logger.warn({ destination: target.destination, file: committed.file }, 'committed borg key unusable');
    return undefined;
  }
  throw new BorgError(
    `${target.destination}: ${result.reason}; borg's keys directory (${keysDir}) holds no key either, so the repository cannot be opened (keyfile mode); an admin checks the file (\`borgops secrets verify\`) and commits \`borgops secrets adopt\`'s output from a machine that has the key`,
    {
      command,
      failure: 'passphrase',
      destination: target.destination,
      ...(result.cause === undefined ? {} : { cause: result.cause }),
    },
  );
}

/** borg's messages name the temporary file; people are told which committed file it came from. */
export function nameCommittedKey(text: string, lease: KeyFileLease, committed: CommittedKey): string {
  return text.split(lease.path).join(`${committed.file} (decrypted)`);
}
