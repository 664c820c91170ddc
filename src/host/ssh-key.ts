import { mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { BorgopsError } from '../errors.js';

export interface ObservedSshKey {
  exists: boolean;
  publicKey?: string;
}

export async function observeSshKey(path: string): Promise<ObservedSshKey> {
  const [privateKey, publicKey] = await Promise.all([
    readFile(path).then(
      () => true,
      () => false,
    ),
    readFile(`${path}.pub`, 'utf8').catch(() => undefined),
  ]);
  return { exists: privateKey, ...(publicKey === undefined ? {} : { publicKey: publicKey.trim() }) };
}

/** The machine's own ed25519 key for its server destinations, generated once (0600). */
export async function generateSshKey(path: string, comment: string): Promise<string> {
  const existing = await observeSshKey(path);
  if (existing.exists && existing.publicKey) return existing.publicKey;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // generated beside the target and renamed, so a crash never leaves half a key pair
  const staging = await mkdtemp(join(dirname(path), '.keygen-'));
  try {
    const file = join(staging, 'key');
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], {
      stdin: 'ignore',
    });
    await rename(`${file}.pub`, `${path}.pub`);
    await rename(file, path);
  } catch (error: unknown) {
    throw new BorgopsError('E_HOST', `cannot generate the SSH key ${path}`, { cause: error });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return (await readFile(`${path}.pub`, 'utf8')).trim();
}
