import { readFile, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isBorgopsError } from '../../../src/errors.js';
import { acquireLock } from '../../../src/host/lock.js';
import { tempDir } from '../../helpers/temp.js';

describe('apply lock', () => {
  it('lets one holder in, names it to the next, and is free again after release', async () => {
    const path = join(await tempDir(), 'state', 'apply.lock');
    const first = await acquireLock(path, 'apply jon');
    const error = await acquireLock(path, 'apply jon').catch((e: unknown) => e);
    expect(isBorgopsError(error, 'E_LOCK')).toBe(true);
    expect((error as Error).message).toBe(
      `another borgops holds ${path}: pid ${process.pid} on ${hostname()} (apply jon) since ${first.holder.startedAt}`,
    );
    await first.release();
    const second = await acquireLock(path, 'apply jon');
    await second.release();
  });

  it('takes over a lock whose holder died, or that a killed writer left empty', async () => {
    const path = join(await tempDir(), 'apply.lock');
    await writeFile(
      path,
      JSON.stringify({ pid: 2 ** 22 + 4242, host: hostname(), command: 'apply', startedAt: 'then' }),
    );
    const lock = await acquireLock(path, 'apply jon');
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({
      pid: process.pid,
      command: 'apply jon',
    });
    await lock.release();
    // an unreadable lock is someone starting, unless it is old: then a killed writer left it
    await writeFile(path, '');
    await expect(acquireLock(path, 'apply jon')).rejects.toThrow(
      /unreadable; another borgops may be starting/,
    );
    await utimes(path, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    await (await acquireLock(path, 'apply jon')).release();
  });

  it('lets exactly one of many concurrent callers in the same process hold it', async () => {
    const path = join(await tempDir(), 'apply.lock');
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => acquireLock(path, 'apply jon')),
    );
    const held = results.filter((r) => r.status === 'fulfilled');
    expect(held).toHaveLength(1);
    await (held[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireLock>>>).value.release();
  });

  it('does not take over a lock held on another host', async () => {
    const path = join(await tempDir(), 'apply.lock');
    await writeFile(path, JSON.stringify({ pid: 1, host: 'elsewhere', command: 'apply', startedAt: 'then' }));
    await expect(acquireLock(path, 'apply jon')).rejects.toThrow(/pid 1 on elsewhere/);
  });
});
