import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, mkdtemp, readFile, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Borg, BorgTarget } from '../borg/types.js';
import { decryptWith, readIdentities } from '../secrets/age.js';
import { writeFileAtomic } from './atomic.js';
import { orAbsent } from './fs-error.js';
import { ownFileExists, readOwnFile } from './nofollow.js';

export function passphrasePath(secretsDir: string, destination: string): string {
  return join(secretsDir, `${destination}.passphrase`);
}

export function exportedKeyPath(secretsDir: string, destination: string): string {
  return join(secretsDir, `${destination}.key`);
}

/** Only ENOENT is "absent": a secrets directory this user cannot read is an error, not a missing secret. */
async function exists(path: string): Promise<boolean> {
  return (await orAbsent(stat(path), 'inspect', path)) !== undefined;
}

export interface ObservedSecret {
  /** The passphrase generated on this machine (`<d>.passphrase`). */
  passphrase: boolean;
  /** The exported key (`<d>.key`). */
  key: boolean;
  /** The committed secret: decrypted (in memory) with the machine's key, or not. */
  committed?: 'readable' | 'unreadable';
  /** A local passphrase exists and is not the committed one (the repository may have been made with it). */
  differs?: boolean;
  /**
   * keyfile modes: the repository the committed key export (`<d>.key.age`) names, or why this
   * machine cannot read it.
   */
  committedKey?: { repository: string } | { unreadable: string };
  /** The repository the key export on this machine (`<d>.key`) names. */
  exportedKeyRepository?: string;
}

/** The repository id a `borg key export` file names in its first line (`BORG_KEY <id>`). */
export async function exportedKeyRepositoryId(path: string): Promise<string | undefined> {
  const text = (await readOwnFile(path))?.toString('utf8');
  return /^BORG_KEY ([0-9a-f]+)/.exec(text ?? '')?.[1];
}

export async function observeSecret(
  secretsDir: string,
  destination: string,
  committed?: { armored: string; identity: string },
): Promise<ObservedSecret> {
  // lstat, never followed: a secret swapped for a symlink is refused
  const [passphrase, key] = await Promise.all([
    ownFileExists(passphrasePath(secretsDir, destination)),
    ownFileExists(exportedKeyPath(secretsDir, destination)),
  ]);
  if (committed === undefined) return { passphrase, key };
  let plain: Uint8Array;
  try {
    plain = await decryptWith(await readIdentities(committed.identity), committed.armored);
  } catch {
    return { passphrase, key, committed: 'unreadable' };
  }
  try {
    if (!passphrase) return { passphrase, key, committed: 'readable' };
    const local = (await readOwnFile(passphrasePath(secretsDir, destination))) ?? Buffer.alloc(0);
    const differs = !Buffer.from(local).equals(Buffer.from(plain));
    local.fill(0);
    return { passphrase, key, committed: 'readable', ...(differs ? { differs } : {}) };
  } finally {
    plain.fill(0);
  }
}

/** 256 random bits; written once, 0600, and never shown anywhere. */
export async function generatePassphrase(secretsDir: string, destination: string): Promise<string> {
  const path = passphrasePath(secretsDir, destination);
  if (await exists(path)) return path;
  await writeFileAtomic(path, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
  return path;
}

/**
 * `borg key export` into `path`, never over another export: the key goes to a temporary file
 * first; an export already at `path` of the same repository is kept as it is, one of another
 * repository (a re-initialized one) is moved aside to `<path>.<repository id>` first.
 */
export async function escrowKey(borg: Borg, target: BorgTarget, path: string): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const staging = await mkdtemp(join(dir, '.export-'));
  try {
    const fresh = join(staging, 'key');
    await borg.exportKey(target, fresh);
    await chmod(fresh, 0o600);
    const freshId = await exportedKeyRepositoryId(fresh);
    for (;;) {
      try {
        await link(fresh, path);
        return;
      } catch (error: unknown) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const existingId = await exportedKeyRepositoryId(path);
      if (existingId !== undefined && existingId === freshId) return;
      // keep the old export under its repository id (or a unique name when it names none)
      const aside = `${path}.${existingId ?? `unknown-${randomBytes(4).toString('hex')}`}`;
      await link(path, aside).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      });
      if ((await readFile(aside)).equals(await readFile(path))) await unlink(path);
      else throw new Error(`${aside} exists and is not ${path}; move one of them away`);
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
