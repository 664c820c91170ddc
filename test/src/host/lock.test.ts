import { readFileSync } from 'node:fs';
import { readFile, utimes, writeFile } from 'node:fs/promises';
import { hostname, uptime } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it, onTestFinished } from 'vitest';
import { isBorgopsError } from '../../../src/errors.js';
import { acquireLock, FOREIGN_STALE_MS, processStart, waitForLock } from '../../../src/host/lock.js';
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

describe('a stale lock whose PID was reused (a crash, a reboot)', () => {
  async function liveStranger() {
    const child = execa('sleep', ['300'], { reject: false });
    onTestFinished(() => {
      child.kill();
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (child.pid === undefined) throw new Error('no pid');
    return child.pid;
  }

  it('takes over a lock whose live PID now belongs to another process (another start time)', async () => {
    const path = join(await tempDir(), 'apply.lock');
    const pid = await liveStranger();
    await writeFile(
      path,
      JSON.stringify({
        pid,
        host: hostname(),
        command: 'apply jon',
        startedAt: 'before the crash',
        bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
        processStart: '1',
      }),
    );
    const lock = await acquireLock(path, 'apply jon');
    expect(lock.holder.pid).toBe(process.pid);
    expect(lock.holder.processStart).toBe(processStart(process.pid));
    await lock.release();
  });

  it('takes over a lock from an earlier boot, even when its PID is alive now', async () => {
    const path = join(await tempDir(), 'apply.lock');
    const pid = await liveStranger();
    await writeFile(
      path,
      JSON.stringify({
        pid,
        host: hostname(),
        command: 'apply jon',
        startedAt: 'last boot',
        bootId: '00000000-0000-0000-0000-000000000000',
        processStart: processStart(pid),
      }),
    );
    await (await acquireLock(path, 'apply jon')).release();
    // an old-format lock (no boot id) written before this boot is stale too
    await writeFile(path, JSON.stringify({ pid, host: hostname(), command: 'apply', startedAt: 'then' }));
    const beforeBoot = new Date(Date.now() - uptime() * 1000 - 60_000);
    await utimes(path, beforeBoot, beforeBoot);
    await (await acquireLock(path, 'apply jon')).release();
  });

  it('still refuses a live holder with its own start time', async () => {
    const path = join(await tempDir(), 'apply.lock');
    const pid = await liveStranger();
    await writeFile(
      path,
      JSON.stringify({
        pid,
        host: hostname(),
        command: 'backups create jon',
        startedAt: 'now',
        bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
        processStart: processStart(pid),
      }),
    );
    await expect(acquireLock(path, 'apply jon')).rejects.toThrow(
      `another borgops holds ${path}: pid ${pid} on ${hostname()} (backups create jon) since now`,
    );
  });

  it('treats a malformed or foreign-host holder as stale once old', async () => {
    const path = join(await tempDir(), 'apply.lock');
    const old = new Date(Date.now() - FOREIGN_STALE_MS - 60_000);
    await writeFile(path, JSON.stringify({ pid: 'x', host: hostname() }));
    await expect(acquireLock(path, 'apply jon')).rejects.toThrow(/unreadable/);
    await utimes(path, old, old);
    await (await acquireLock(path, 'apply jon')).release();

    await writeFile(path, JSON.stringify({ pid: 1, host: 'elsewhere', command: 'apply', startedAt: 'then' }));
    await expect(acquireLock(path, 'apply jon')).rejects.toThrow(/pid 1 on elsewhere/);
    await utimes(path, old, old);
    await (await acquireLock(path, 'apply jon')).release();
  });

  it("bounds a backup's wait with an error that names the holder", async () => {
    const path = join(await tempDir(), 'backups.lock');
    const held = await acquireLock(path, 'backups create jon');
    const waits: string[] = [];
    const error = await waitForLock(path, 'backups create jon', {
      timeoutMs: 200,
      pollMs: 50,
      onWait: (message) => waits.push(message),
    }).catch((e: unknown) => e);
    expect(isBorgopsError(error, 'E_LOCK')).toBe(true);
    expect((error as Error).message).toBe(
      `gave up after waiting 0 s for the lock: another borgops holds ${path}: pid ${process.pid} on ${hostname()} (backups create jon) since ${held.holder.startedAt}`,
    );
    expect(waits).toHaveLength(1);
    await held.release();
  });
});
