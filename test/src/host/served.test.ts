import { chown, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { authorizedKeysPath, updateAuthorizedKeys } from '../../../src/host/served.js';
import { canMount, smallDisk } from '../../helpers/small-disk.js';
import { tempDir } from '../../helpers/temp.js';

const isRoot = process.getuid?.() === 0;

describe('authorized_keys of a server user', () => {
  it('lives in the home under --root; a rewrite keeps foreign lines in place and removes only what it names', async () => {
    const root = await tempDir('borgops-served-');
    const file = authorizedKeysPath(root, '/srv/borg');
    expect(file).toBe(join(root, 'srv/borg/.ssh/authorized_keys'));
    await updateAuthorizedKeys(file, [], ['line jon', 'line sara']);
    await writeFile(file, `${await readFile(file, 'utf8')}ssh-ed25519 AAAA admin\n`);
    await updateAuthorizedKeys(file, ['line sara'], ['line jon v2']);
    expect(await readFile(file, 'utf8')).toBe('line jon\nssh-ed25519 AAAA admin\nline jon v2\n');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it.skipIf(!isRoot)(
    `keeps the owner of the file it rewrites, so sshd can still read it as that user${isRoot ? '' : ' (skipped: chown needs root)'}`,
    async () => {
      const root = await tempDir('borgops-served-');
      const file = authorizedKeysPath(root, '/srv/borg');
      await updateAuthorizedKeys(file, [], ['line jon', 'line sara']);
      await chown(file, 65534, 65534);
      await updateAuthorizedKeys(file, ['line sara'], []);
      expect(await stat(file)).toMatchObject({ uid: 65534, gid: 65534 });
    },
  );

  it.skipIf(!canMount)(
    'on a full disk fails in one line naming the file, and keeps the old one whole',
    async () => {
      const disk = await smallDisk();
      const file = authorizedKeysPath(disk, '/srv/borg');
      await updateAuthorizedKeys(file, [], ['line jon']);
      await writeFile(join(disk, 'filler'), Buffer.alloc(64 * 1024)).catch(() => undefined);
      await expect(updateAuthorizedKeys(file, [], [`line ${'x'.repeat(16 * 1024)}`])).rejects.toMatchObject({
        code: 'E_HOST',
        shortMessage: `cannot write ${file}: no space left on device (ENOSPC)`,
      });
      expect(await readFile(file, 'utf8')).toBe('line jon\n');
      expect(await readdir(join(disk, 'srv/borg/.ssh'))).toEqual(['authorized_keys']);
    },
  );
});
