import { readFile, writeFile } from 'node:fs/promises';
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
    await writeFile(path, '');
    await (await acquireLock(path, 'apply jon')).release();
  });

  it('does not take over a lock held on another host', async () => {
    const path = join(await tempDir(), 'apply.lock');
    await writeFile(path, JSON.stringify({ pid: 1, host: 'elsewhere', command: 'apply', startedAt: 'then' }));
    await expect(acquireLock(path, 'apply jon')).rejects.toThrow(/pid 1 on elsewhere/);
  });
});
