// A borgops killed with SIGKILL leaves its decrypted key (a 0600 file in a 0700 directory) in the
// temporary directory: the next borgops removes it, and nothing that is not such a leftover.
import { chown, mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { sweepDead } from '../../../src/borg/key-file.js';
import { tempDir } from '../../helpers/temp.js';

/** A PID no process has: a child that ran and was reaped. */
async function deadPid(): Promise<number> {
  const child = execa('true');
  await child;
  return child.pid!;
}

async function keyDir(dir: string, name: string): Promise<void> {
  await mkdir(join(dir, name), { mode: 0o700 });
  await writeFile(join(dir, name, 'key'), 'BORG_KEY 00\n', { mode: 0o600 });
}

describe('sweepDead', () => {
  it('removes the key directories of processes that are gone, and keeps everything else', async () => {
    const dir = await tempDir('borgops-sweep-');
    const dead = await deadPid();
    await keyDir(dir, `borgops-key-${dead}-AbC123`);
    // a live process's key (this one's parent, and this process itself)
    await keyDir(dir, `borgops-key-${process.ppid}-XyZ789`);
    await keyDir(dir, `borgops-key-${process.pid}-Own456`);
    // names that are not borgops' key directories
    await keyDir(dir, 'borgops-key-AbC123');
    await keyDir(dir, `borgops-key-${dead}-toolongname`);
    await keyDir(dir, `other-${dead}-AbC123`);
    // a link named like a leftover: never followed, never removed
    const target = await tempDir('borgops-sweep-target-');
    await writeFile(join(target, 'precious'), 'keep me\n');
    await symlink(target, join(dir, `borgops-key-${dead}-Link00`));
    // a file named like a leftover
    await writeFile(join(dir, `borgops-key-${dead}-File00`), 'not a directory\n');
    // another user's leftover (only root can make one here): theirs to remove
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      await keyDir(dir, `borgops-key-${dead}-Other0`);
      await chown(join(dir, `borgops-key-${dead}-Other0`), 65534, 65534);
    }

    await sweepDead(dir);

    expect((await readdir(dir)).sort()).toEqual(
      [
        `borgops-key-${process.ppid}-XyZ789`,
        `borgops-key-${process.pid}-Own456`,
        'borgops-key-AbC123',
        `borgops-key-${dead}-toolongname`,
        `other-${dead}-AbC123`,
        `borgops-key-${dead}-Link00`,
        `borgops-key-${dead}-File00`,
        ...(asRoot ? [`borgops-key-${dead}-Other0`] : []),
      ].sort(),
    );
    expect(await readdir(target)).toEqual(['precious']);
  });

  it('sweeps a directory once per process (the first key of a command pays for it)', async () => {
    const dir = await tempDir('borgops-sweep-');
    await sweepDead(dir);
    const dead = await deadPid();
    await keyDir(dir, `borgops-key-${dead}-Later0`);
    await sweepDead(dir);
    expect(await readdir(dir)).toEqual([`borgops-key-${dead}-Later0`]);
  });
});
