import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSystemUser, lookupUser, managesAccounts, SERVER_SHELL } from '../../../src/host/accounts.js';
import { tempDir } from '../../helpers/temp.js';

const isRoot = process.getuid?.() === 0;

describe('server accounts', () => {
  it('are managed only as root on the machine itself', () => {
    expect(managesAccounts('/')).toBe(isRoot);
    expect(managesAccounts('/tmp/some-root')).toBe(false);
  });

  it('looks users up through getent on / (read only)', async () => {
    expect(await lookupUser('root')).toMatchObject({ name: 'root', uid: 0, gid: 0, home: '/root' });
    expect(await lookupUser('no-such-user-borgops')).toBeUndefined();
  });

  // useradd --prefix writes another /etc than the machine's: the real useradd, nothing of this host touched
  it.skipIf(!isRoot)(
    `creates a system user with the server directory as home and a shell for the forced command${isRoot ? '' : ' (skipped: useradd needs root)'}`,
    async () => {
      const prefix = await tempDir('borgops-accounts-');
      await mkdir(join(prefix, 'etc'));
      for (const file of ['passwd', 'group', 'shadow', 'gshadow', 'login.defs'])
        await copyFile(join('/etc', file), join(prefix, 'etc', file)).catch(() => undefined);
      const hostPasswd = await readFile('/etc/passwd', 'utf8');

      expect(await lookupUser('borg', prefix)).toBeUndefined();
      const user = await createSystemUser({ name: 'borg', home: '/var/lib/borgbackup' }, prefix);
      expect(user).toMatchObject({ name: 'borg', home: '/var/lib/borgbackup', shell: SERVER_SHELL });
      // a system account, with a group of its own
      expect(user.uid).toBeLessThan(1000);
      expect(await readFile(join(prefix, 'etc/group'), 'utf8')).toContain(`\nborg:x:${user.gid}:`);
      expect(await lookupUser('borg', prefix)).toEqual(user);
      await expect(createSystemUser({ name: 'borg', home: '/elsewhere' }, prefix)).rejects.toThrow(
        /cannot create the system user borg: useradd exited 9/,
      );
      expect(await readFile('/etc/passwd', 'utf8')).toBe(hostPasswd);
    },
  );
});
