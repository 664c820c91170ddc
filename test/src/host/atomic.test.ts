import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { sweepTemporaries, writeFileAtomic, writeJsonAtomic } from '../../../src/host/atomic.js';
import { tempDir } from '../../helpers/temp.js';

/** A 64 KiB tmpfs (the test runs as root in CI); a full disk without filling the machine's. */
async function smallDisk(): Promise<string | undefined> {
  const dir = await tempDir('borgops-full-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  onTestFinished(() => {
    execFileSync('umount', [dir]);
  });
  return dir;
}

const canMount = process.getuid?.() === 0;

describe('writeFileAtomic on a full disk (a real 64 KiB tmpfs)', () => {
  it.skipIf(!canMount)('fails in one line naming the file, and leaves no temporary file behind', async () => {
    const disk = await smallDisk();
    if (disk === undefined) throw new Error('mount -t tmpfs failed although running as root');
    await writeFile(join(disk, 'filler'), Buffer.alloc(40 * 1024));
    const target = join(disk, 'state', 'status.json');
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const error = await writeJsonAtomic(target, { big: 'x'.repeat(64 * 1024) }).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'E_HOST',
        shortMessage: `cannot write ${target}: no space left on device (ENOSPC)`,
      });
    }
    expect(await readdir(join(disk, 'state'))).toEqual([]);
    // a small write still fits: nothing was leaked by the failed ones
    await writeJsonAtomic(target, { ok: true });
    expect(JSON.parse(await readFile(target, 'utf8'))).toEqual({ ok: true });
  });
});

describe('sweeping stale temporary files', () => {
  it("removes only borgops's own stale temporaries: never young ones, another tool's, or links", async () => {
    const dir = await tempDir('borgops-sweep-');
    const outside = await tempDir('borgops-outside-');
    await writeFile(join(outside, 'precious'), 'keep me\n');
    const old = new Date(Date.now() - 60 * 60_000);
    const ours = ['.status.json.borgops-0123456789ab.tmp', '.ledger.json.borgops-ba9876543210.tmp'];
    for (const name of ours) {
      await writeFile(join(dir, name), 'half');
      await utimes(join(dir, name), old, old);
    }
    await writeFile(join(dir, '.young.borgops-aaaaaaaaaaaa.tmp'), 'being written');
    await writeFile(join(dir, '.vim.tmp'), 'foreign');
    await utimes(join(dir, '.vim.tmp'), old, old);
    await writeFile(join(dir, '.status.json.0123456789ab.tmp'), 'foreign, older pattern');
    await utimes(join(dir, '.status.json.0123456789ab.tmp'), old, old);
    await mkdir(join(dir, '.dir.borgops-cccccccccccc.tmp'));
    await symlink(join(outside, 'precious'), join(dir, '.link.borgops-dddddddddddd.tmp'));

    expect((await sweepTemporaries(dir)).sort()).toEqual([...ours].sort());
    expect((await readdir(dir)).sort()).toEqual([
      '.dir.borgops-cccccccccccc.tmp',
      '.link.borgops-dddddddddddd.tmp',
      '.status.json.0123456789ab.tmp',
      '.vim.tmp',
      '.young.borgops-aaaaaaaaaaaa.tmp',
    ]);
    expect(await readFile(join(outside, 'precious'), 'utf8')).toBe('keep me\n');
  });

  it('the first write into a directory sweeps it', async () => {
    const dir = await tempDir('borgops-sweep-');
    const stale = join(dir, '.runs.json.borgops-0123456789ab.tmp');
    await writeFile(stale, 'half');
    const old = new Date(Date.now() - 60 * 60_000);
    await utimes(stale, old, old);
    await writeFileAtomic(join(dir, 'runs.json'), '{}\n');
    expect(await readdir(dir)).toEqual(['runs.json']);
  });
});
