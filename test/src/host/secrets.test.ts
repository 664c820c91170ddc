import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportedKeyRepositoryId, observeSecret } from '../../../src/host/secrets.js';
import { tempDir } from '../../helpers/temp.js';

describe('observeSecret', () => {
  it('reads a missing passphrase and key as absent, present ones as present', async () => {
    const dir = await tempDir();
    expect(await observeSecret(dir, 'local')).toEqual({ passphrase: false, key: false });
    await writeFile(join(dir, 'local.passphrase'), 'p\n');
    await writeFile(join(dir, 'local.key'), 'BORG_KEY 0123abcd\n');
    expect(await observeSecret(dir, 'local')).toEqual({ passphrase: true, key: true });
    expect(await exportedKeyRepositoryId(join(dir, 'local.key'))).toBe('0123abcd');
    expect(await exportedKeyRepositoryId(join(dir, 'gone.key'))).toBeUndefined();
  });

  it('is a named error, not "no passphrase", when the secrets directory cannot be looked into', async () => {
    const parent = await tempDir();
    const secretsDir = join(parent, 'secrets');
    // a file where the directory should be: ENOTDIR, which must not read as "generate a new one"
    await writeFile(secretsDir, '');
    await expect(observeSecret(secretsDir, 'local')).rejects.toThrow(/ENOTDIR/);
  });

  it('is a named error when an exported key cannot be read (a directory in its place)', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'local.key'));
    await expect(exportedKeyRepositoryId(join(dir, 'local.key'))).rejects.toThrow(
      `${join(dir, 'local.key')} is not a regular file; refusing to read it (remove it)`,
    );
  });
});
