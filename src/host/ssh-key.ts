import { link, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BorgopsError } from '../errors.js';
import { loadExeca } from '../util/execa.js';
import { writeFileAtomic } from './atomic.js';
import { orAbsent } from './fs-error.js';

export interface ObservedSshKey {
  exists: boolean;
  publicKey?: string;
}

export async function observeSshKey(path: string): Promise<ObservedSshKey> {
  const [privateKey, publicKey] = await Promise.all([
    orAbsent(readFile(path), 'read', path),
    orAbsent(readFile(`${path}.pub`, 'utf8'), 'read', `${path}.pub`),
  ]);
  return {
    exists: privateKey !== undefined,
    ...(publicKey === undefined ? {} : { publicKey: publicKey.trim() }),
  };
}

async function keygen(args: string[], what: string): Promise<string> {
  try {
    const execa = await loadExeca();
    const result = await execa('ssh-keygen', args, { stdin: 'ignore' });
    return String(result.stdout);
  } catch (error: unknown) {
    throw new BorgopsError('E_HOST', `cannot ${what}`, { cause: error });
  }
}

/** The public half of a private key file, with `comment` (ssh-keygen -y). */
async function publicKeyOf(path: string, comment: string): Promise<string> {
  const derived = (await keygen(['-y', '-f', path], `read the SSH key ${path}`)).trim();
  return `${derived.split(/\s+/).slice(0, 2).join(' ')} ${comment}`;
}

/**
 * The machine's own ed25519 key for its server destinations, generated once (0600), and its
 * public key. Two borgops processes may race (`keys show` while `apply` runs): the private key
 * appears with a hard link, which only one of them can make, and the `.pub` is derived from
 * whichever private key won — so the two halves always belong together.
 */
export async function generateSshKey(path: string, comment: string): Promise<string> {
  const existing = await observeSshKey(path);
  if (existing.exists && existing.publicKey) return existing.publicKey;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  if (!existing.exists) {
    const staging = await mkdtemp(join(dirname(path), '.keygen-'));
    try {
      const file = join(staging, 'key');
      await keygen(
        ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file],
        `generate the SSH key ${path}`,
      );
      await link(file, path).catch((error: unknown) => {
        // another process made the key first: use that one
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      });
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
  // derived rather than copied, so a crash between the two files never pairs the wrong halves
  const publicKey = await publicKeyOf(path, comment);
  await writeFileAtomic(`${path}.pub`, `${publicKey}\n`, { mode: 0o644 });
  return publicKey;
}
