import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readSmall } from '../host/small-file.js';
import { localRepositoryPath } from './location.js';

const transactionFile = /^index\.(\d+)$/;
/** `config` and `integrity.N` are a few hundred bytes; anything larger is not borg's. */
const smallFileLimit = 64 * 1024;

/**
 * Which committed state a local borg 1.x repository is in, read without borg (no passphrase, no
 * Python start): the newest transaction N (`index.N`) and a digest of `config` and
 * `integrity.N`. borg writes `integrity.N` at every commit with the digests of `index.N` and
 * `hints.N`, so any write that commits (create, delete, prune, rename, compact, a `check
 * --repair`, another client's backup) changes it, and a repository restored from an older copy
 * has another N or other digests; reading (list, info, check, extract) changes nothing.
 *
 * Undefined, so that the caller asks borg instead, when the repository is remote (ssh), absent
 * or unreadable, holds a lock (`lock.exclusive` or `lock.roster`: a borg is at work and may be
 * about to commit), has no or more than one transaction file set in sight, or changed between
 * two looks at its directory.
 */
export async function repositoryFingerprint(repo: string): Promise<string | undefined> {
  const path = localRepositoryPath(repo);
  if (path === undefined) return undefined;
  try {
    const first = await transactionOf(path);
    if (first === undefined) return undefined;
    const config = await readSmall(join(path, 'config'), smallFileLimit);
    const integrity = await readSmall(join(path, `integrity.${first}`), smallFileLimit);
    if (config === undefined || integrity === undefined) return undefined;
    // a commit between the two looks would pair one transaction's number with another's digest
    if ((await transactionOf(path)) !== first) return undefined;
    const digest = createHash('sha256').update(config).update('\0').update(integrity).digest('hex');
    return `${first}:${digest.slice(0, 32)}`;
  } catch {
    return undefined;
  }
}

/** The one committed transaction N in the directory, or undefined when locked, empty or ambiguous. */
async function transactionOf(path: string): Promise<number | undefined> {
  let transaction: number | undefined;
  for (const name of await readdir(path)) {
    if (name === 'lock.exclusive' || name === 'lock.roster') return undefined;
    const match = transactionFile.exec(name);
    if (match === null) continue;
    // borg removes the old index when it commits; two in sight is a commit under way
    if (transaction !== undefined) return undefined;
    transaction = Number(match[1]);
  }
  return transaction;
}
