import { randomBytes } from 'node:crypto';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isBorgError } from '../../../src/borg/errors.js';
import { borgSandbox, holdLock, sourceTree } from '../../helpers/borg.js';
import { recordingLogger } from '../../helpers/logger.js';

/** Processes whose argv contains every one of `needles` (read from /proc, like `ps` does). */
async function processesWith(needles: readonly string[]): Promise<{ pid: string; argv: string[] }[]> {
  const found: { pid: string; argv: string[] }[] = [];
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    // A process may end between readdir and readFile.
    const argv: string[] = await readFile(`/proc/${pid}/cmdline`, 'utf8').then(
      (text) => text.split('\0'),
      () => [],
    );
    if (needles.every((needle) => argv.includes(needle))) found.push({ pid, argv });
  }
  return found;
}

describe('the passphrase stays out of argv, the environment, logs and errors', () => {
  it('reaches borg through fd 3 only', async () => {
    const secret = `pass-${randomBytes(12).toString('hex')}`;
    const { logger, lines } = recordingLogger();
    const sandbox = await borgSandbox({ logger });
    const repo = join(sandbox.dir, 'repo');
    const target = { ...sandbox.target(repo, await sandbox.passphraseFile(`${secret}\n`)), lockWait: 30 };
    await sandbox.borg.init(target, 'repokey');

    // Hold the lock so the adapter's `borg list` stays alive while we look at it from outside.
    const lock = await holdLock(sandbox, repo);
    const listing = sandbox.borg.list(target);
    let seen: { pid: string; argv: string[] }[] = [];
    for (let attempt = 0; attempt < 400 && seen.length === 0; attempt += 1) {
      seen = await processesWith(['list', '--json', repo]);
      if (seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(seen).toHaveLength(1);
    const [borgProcess] = seen;
    const pid = borgProcess?.pid ?? '';
    const environ = (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0');
    expect(borgProcess?.argv.join(' ')).not.toContain(secret);
    expect(environ.join('\n')).not.toContain(secret);
    expect(environ).toContain('BORG_PASSPHRASE_FD=3');
    expect(environ.some((entry) => entry.startsWith('BORG_PASSPHRASE='))).toBe(false);
    expect(await readlink(`/proc/${pid}/fd/3`)).toMatch(/^(socket|pipe):/);
    await lock.release();

    // The same process did get the passphrase: the encrypted repository opened.
    expect(await listing).toEqual({ state: 'present', archives: [] });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('')).not.toContain(secret);
  });

  it('is in no error message, detail or log line when borg refuses it', async () => {
    const secret = `pass-${randomBytes(12).toString('hex')}`;
    const wrong = `wrong-${randomBytes(12).toString('hex')}`;
    const { logger, lines } = recordingLogger();
    const sandbox = await borgSandbox({ logger });
    const repo = join(sandbox.dir, 'repo');
    await sandbox.borg.init(sandbox.target(repo, await sandbox.passphraseFile(secret)), 'repokey');
    const target = sandbox.target(repo, await sandbox.passphraseFile(wrong));

    const observed = await sandbox.borg.list(target);
    expect(observed).toMatchObject({ state: 'failed', failure: 'passphrase' });
    const cwd = await sourceTree(sandbox);
    const error: unknown = await sandbox.borg
      .create(target, 'a', { paths: ['data'], cwd, compression: 'lz4', exclude: [] })
      .catch((e: unknown) => e);
    expect(isBorgError(error) && error.failure).toBe('passphrase');
    const everything = [
      JSON.stringify(observed),
      isBorgError(error)
        ? [error.message, error.shortMessage, ...error.details, String(error.cause)].join('\n')
        : '',
      ...lines,
    ].join('\n');
    for (const value of [secret, wrong]) expect(everything).not.toContain(value);
  });
});
