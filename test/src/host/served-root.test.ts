import { chmod, chown, lstat, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lookupUser } from '../../../src/host/accounts.js';
import { createServed, readAuthorizedKeys, updateAuthorizedKeys } from '../../../src/host/served.js';
import { tempDir } from '../../helpers/temp.js';

const isRoot = process.getuid?.() === 0;

async function nobody() {
  const user = await lookupUser('nobody');
  if (!user) throw new Error('no user nobody');
  return { uid: user.uid, gid: user.gid };
}

/** Every file under `dir` owned by `uid`, with its content. */
async function ownedBy(dir: string, uid: number): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    const info = await lstat(path);
    if (info.uid === uid && info.isFile()) found.push(`${path}: ${await readFile(path, 'utf8')}`);
  }
  return found;
}

describe.skipIf(!isRoot)(
  `server files as root with the real unprivileged user nobody${isRoot ? '' : ' (skipped: needs root)'}`,
  () => {
    it("never chowns a directory that existed; missing parents are 0755 root, what it creates is the user's", async () => {
      const root = await tempDir('borgops-chown-');
      const owner = await nobody();
      await mkdir(join(root, 'srv'), { mode: 0o755 });
      await createServed(join(root, 'srv/jon'), owner);
      expect(await stat(join(root, 'srv'))).toMatchObject({ uid: 0 });
      expect(await stat(join(root, 'srv/jon'))).toMatchObject({ uid: owner.uid });

      await createServed(join(root, 'a/b/borg/jon'), owner);
      for (const parent of ['a', 'a/b']) {
        const info = await stat(join(root, parent));
        expect([info.uid, (info.mode & 0o777).toString(8)]).toEqual([0, '755']);
      }
      for (const mine of ['a/b/borg', 'a/b/borg/jon']) {
        const info = await stat(join(root, mine));
        expect([info.uid, (info.mode & 0o777).toString(8)]).toEqual([owner.uid, '700']);
      }
      // a second apply over what now exists changes no owner
      await chown(join(root, 'a/b/borg/jon'), 0, 0);
      await createServed(join(root, 'a/b/borg/jon'), owner);
      expect(await stat(join(root, 'a/b/borg/jon'))).toMatchObject({ uid: 0 });
    });

    it('refuses a client repository the user swapped for a symlink', async () => {
      const root = await tempDir('borgops-chown-');
      const owner = await nobody();
      await mkdir(join(root, 'etc-like'), { mode: 0o700 });
      await mkdir(join(root, 'srv/borg'), { recursive: true });
      await chown(join(root, 'srv/borg'), owner.uid, owner.gid);
      await symlink(join(root, 'etc-like'), join(root, 'srv/borg/jon'));
      await expect(createServed(join(root, 'srv/borg/jon'), owner)).rejects.toThrow(
        /srv\/borg\/jon is not a directory \(a symlink or a file\); refusing/,
      );
      expect(await stat(join(root, 'etc-like'))).toMatchObject({ uid: 0 });
    });

    it('a .ssh swapped for a symlink to a root-owned directory is refused, never handed over', async () => {
      const root = await tempDir('borgops-chown-');
      const owner = await nobody();
      const home = join(root, 'srv/borg');
      await updateAuthorizedKeys(join(home, '.ssh/authorized_keys'), [], ['line jon'], owner);
      expect(await stat(join(home, '.ssh'))).toMatchObject({ uid: owner.uid });
      expect(await stat(join(home, '.ssh/authorized_keys'))).toMatchObject({ uid: owner.uid });

      // what the borg user can do in its own home: swap .ssh for a symlink to root's directory
      const rootSsh = join(root, 'root/.ssh');
      await mkdir(rootSsh, { recursive: true, mode: 0o700 });
      await writeFile(join(rootSsh, 'authorized_keys'), 'ssh-ed25519 AAAAroot root@host\n', { mode: 0o600 });
      const { rename } = await import('node:fs/promises');
      await rename(join(home, '.ssh'), join(home, 'old-ssh'));
      await symlink(rootSsh, join(home, '.ssh'));

      expect(await readAuthorizedKeys(join(home, '.ssh/authorized_keys'))).toBeUndefined();
      await expect(
        updateAuthorizedKeys(join(home, '.ssh/authorized_keys'), [], ['line jon'], owner),
      ).rejects.toThrow(/\.ssh is not a directory \(a symlink or a file\); refusing to use it/);
      expect(await stat(rootSsh)).toMatchObject({ uid: 0 });
      expect(await stat(join(rootSsh, 'authorized_keys'))).toMatchObject({ uid: 0 });
      expect(await readFile(join(rootSsh, 'authorized_keys'), 'utf8')).toBe(
        'ssh-ed25519 AAAAroot root@host\n',
      );
      expect(await readdir(rootSsh)).toEqual(['authorized_keys']);
    });

    it("a symlinked or non-regular authorized_keys is refused; a root-only file's lines are never copied", async () => {
      const root = await tempDir('borgops-chown-');
      const owner = await nobody();
      const home = join(root, 'srv/borg');
      await updateAuthorizedKeys(join(home, '.ssh/authorized_keys'), [], ['line jon'], owner);
      const secret = join(root, 'shadow');
      await writeFile(secret, 'root:$6$secret-hash:19000::::::\n', { mode: 0o600 });
      const file = join(home, '.ssh/authorized_keys');
      const { rm } = await import('node:fs/promises');
      await rm(file);
      await symlink(secret, file);

      expect(await readAuthorizedKeys(file)).toBeUndefined();
      await expect(updateAuthorizedKeys(file, [], ['line jon'], owner)).rejects.toThrow(
        /authorized_keys is a symlink; refusing to read or replace it/,
      );
      expect(await ownedBy(root, owner.uid)).toEqual([]);
      expect(await stat(secret)).toMatchObject({ uid: 0 });

      await rm(file);
      await mkdir(file);
      await expect(updateAuthorizedKeys(file, [], ['line jon'], owner)).rejects.toThrow(
        /authorized_keys is not a regular file/,
      );
    });

    it('a home swapped for a symlink is refused', async () => {
      const root = await tempDir('borgops-chown-');
      const owner = await nobody();
      await mkdir(join(root, 'srv'));
      await mkdir(join(root, 'rootonly'), { mode: 0o700 });
      await symlink(join(root, 'rootonly'), join(root, 'srv/borg'));
      await expect(
        updateAuthorizedKeys(join(root, 'srv/borg/.ssh/authorized_keys'), [], ['line'], owner),
      ).rejects.toThrow(/srv\/borg is not a directory/);
      expect(await readdir(join(root, 'rootonly'))).toEqual([]);
      await chmod(join(root, 'rootonly'), 0o700);
    });
  },
);
