import { readFileSync } from 'node:fs';
import { lstat, readdir, readFile, symlink, utimes, writeFile } from 'node:fs/promises';
import { hostname, uptime } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it, onTestFinished } from 'vitest';
import { isBorgopsError } from '../../../src/errors.js';
import { acquireLock, FOREIGN_STALE_MS, processStart, waitForLock } from '../../../src/host/lock.js';
import { canMount, smallDisk } from '../../helpers/small-disk.js';
import { tempDir } from '../../helpers/temp.js';

const builtLock = new URL('../../../dist/src/host/lock.js', import.meta.url).pathname;

/** A lock file's content: a holder on this host, with `fields` over the defaults. */
function holder(fields: Record<string, unknown>): string {
  return JSON.stringify({ host: hostname(), command: 'apply', startedAt: 'then', ...fields });
}

/** A lock this host's dead process left: a PID above pid_max. */
function deadHolder(): string {
  return holder({ pid: 2 ** 22 + 4242 });
}

const thisBoot = () => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();

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
    await writeFile(path, deadHolder());
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

  it('never has two holders when a holder releases while others judge the lock (many rounds)', async () => {
    const path = join(await tempDir(), 'state', 'table.lock');
    let holding = 0;
    let most = 0;
    let rounds = 0;
    const worker = async () => {
      for (let done = 0; done < 20; ) {
        const lock = await acquireLock(path, 'update').catch((error: unknown) => {
          if (isBorgopsError(error, 'E_LOCK')) return undefined;
          throw error;
        });
        if (lock === undefined) {
          await new Promise((resolve) => setImmediate(resolve));
          continue;
        }
        holding++;
        most = Math.max(most, holding);
        // a read-modify-write of a file, as the schedule table and the failure counts are
        await writeFile(join(dirname(path), 'data'), String(rounds));
        holding--;
        await lock.release();
        done++;
        rounds++;
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));
    expect(rounds).toBe(400);
    expect(most).toBe(1);
  });

  it('lets exactly one of many callers take over a stale lock at once', async () => {
    // each caller finds the dead holder's lock stale; without a guard the later rename replaced
    // the earlier taker's fresh lock and both went on holding it
    for (let round = 0; round < 10; round++) {
      const path = join(await tempDir(), 'apply.lock');
      await writeFile(path, deadHolder());
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () => acquireLock(path, 'apply jon')),
      );
      const held = results.filter((r) => r.status === 'fulfilled');
      expect(held, `round ${round}`).toHaveLength(1);
      expect(await readdir(dirname(path))).toEqual(['apply.lock']);
    }
  });

  it('lets exactly one of several processes take over a stale lock at once (the built module)', async () => {
    const path = join(await tempDir(), 'apply.lock');
    await writeFile(path, deadHolder());
    // each process keeps what it took for a while, so a second taker cannot find it dead
    const script = `import(${JSON.stringify(builtLock)}).then((m) => m.acquireLock(process.argv[1], 'apply jon')).then(
      () => { console.log('held'); setTimeout(() => {}, 1500); },
      (error) => console.log(error.code),
    );`;
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, () => execa('node', ['-e', script, path]).then((r) => r.stdout)),
    );
    expect(outcomes.filter((o) => o === 'held')).toHaveLength(1);
    expect(outcomes.filter((o) => o !== 'held')).toEqual(Array(5).fill('E_LOCK'));
  });

  it('waits out a young takeover guard, and clears one a killed process left long ago', async () => {
    const path = join(await tempDir(), 'apply.lock');
    await writeFile(path, deadHolder());
    await writeFile(`${path}.takeover`, '');
    await expect(acquireLock(path, 'apply jon')).rejects.toThrow(
      `could not take the lock ${path}; another borgops is starting`,
    );
    const old = new Date(Date.now() - 60_000);
    await utimes(`${path}.takeover`, old, old);
    await (await acquireLock(path, 'apply jon')).release();
    expect(await readdir(dirname(path))).toEqual([]);
  });

  it('replaces a lock path that is a symlink, never writing through it', async () => {
    const dir = await tempDir();
    const victim = join(dir, 'victim');
    await writeFile(victim, 'keep me\n');
    const old = new Date(Date.now() - 60_000);
    await utimes(victim, old, old);
    const path = join(dir, 'apply.lock');
    await symlink(victim, path);
    const lock = await acquireLock(path, 'apply jon');
    expect((await lstat(path)).isFile()).toBe(true);
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ pid: process.pid });
    await lock.release();
    expect(await readFile(victim, 'utf8')).toBe('keep me\n');
  });

  it.skipIf(!canMount)(
    'fails in one line on a full disk, leaving nothing behind (a real 64 KiB tmpfs)',
    async () => {
      const disk = await smallDisk();
      await writeFile(join(disk, 'filler'), Buffer.alloc(64 * 1024)).catch(() => undefined);
      const path = join(disk, 'apply.lock');
      await expect(acquireLock(path, 'apply jon')).rejects.toMatchObject({
        code: 'E_HOST',
        shortMessage: `cannot write ${path}: no space left on device (ENOSPC)`,
      });
      expect(await readdir(disk)).toEqual(['filler']);
    },
  );

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
      holder({
        pid,
        command: 'apply jon',
        startedAt: 'before the crash',
        bootId: thisBoot(),
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
      holder({
        pid,
        command: 'apply jon',
        startedAt: 'last boot',
        bootId: '00000000-0000-0000-0000-000000000000',
        processStart: processStart(pid),
      }),
    );
    await (await acquireLock(path, 'apply jon')).release();
    // an old-format lock (no boot id) written before this boot is stale too
    await writeFile(path, holder({ pid }));
    const beforeBoot = new Date(Date.now() - uptime() * 1000 - 60_000);
    await utimes(path, beforeBoot, beforeBoot);
    await (await acquireLock(path, 'apply jon')).release();
  });

  it('still refuses a live holder with its own start time', async () => {
    const path = join(await tempDir(), 'apply.lock');
    const pid = await liveStranger();
    await writeFile(
      path,
      holder({
        pid,
        command: 'backups create jon',
        startedAt: 'now',
        bootId: thisBoot(),
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
