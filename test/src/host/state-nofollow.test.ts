import { chmod, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { passphraseInput } from '../../../src/borg/passphrase-input.js';
import { hookContent } from '../../../src/desired/hooks.js';
import { observeHooks, writeHook } from '../../../src/host/hooks.js';
import { hostPaths } from '../../../src/host/paths.js';
import { runHook } from '../../../src/host/run-hook.js';
import { exportedKeyRepositoryId, observeSecret } from '../../../src/host/secrets.js';
import { silentLogger } from '../../../src/log.js';
import { exists } from '../../helpers/files.js';
import { tempDir } from '../../helpers/temp.js';

/* Files in the state directory are borgops's own: one swapped for a symlink is refused, never followed. */

async function world() {
  const base = await tempDir('borgops-nofollow-');
  const paths = hostPaths(join(base, 'root'));
  await mkdir(paths.secretsDir, { recursive: true });
  await mkdir(paths.hooksDir, { recursive: true });
  // what an attacker points the link at: a file that is not borgops's (a root-only secret, a script)
  const foreign = join(base, 'foreign');
  await writeFile(foreign, `#!/bin/sh\ntouch ${join(base, 'foreign-ran')}\n`);
  await chmod(foreign, 0o755);
  return { base, paths, foreign };
}

describe('no-follow reads in the state directory', () => {
  it('observeHooks refuses a hook swapped for a symlink, naming it', async () => {
    const { paths, foreign } = await world();
    await writeHook(
      paths.hooksDir,
      'pre-backup-app',
      hookContent('pre-backup', 'app', 'echo hi\n', 'state.yaml'),
    );
    expect(Object.keys(await observeHooks(paths.hooksDir))).toEqual(['pre-backup-app']);
    await rm(join(paths.hooksDir, 'pre-backup-app'));
    await symlink(foreign, join(paths.hooksDir, 'pre-backup-app'));
    await expect(observeHooks(paths.hooksDir)).rejects.toThrow(
      `${join(paths.hooksDir, 'pre-backup-app')} is a symlink`,
    );
  });

  it('runHook does not run a hook swapped for a symlink', async () => {
    const { base, paths, foreign } = await world();
    await symlink(foreign, join(paths.hooksDir, 'pre-backup-app'));
    const run = await runHook(
      { name: 'pre-backup-app', state: 'app' },
      { paths, machine: 'jon', logger: silentLogger() },
    );
    expect(run.ok).toBe(false);
    expect(run.error).toContain('is a symlink');
    expect(await exists(join(base, 'foreign-ran'))).toBe(false);
  });

  it.each([['local.passphrase'], ['local.key']])(
    'observeSecret refuses %s swapped for a symlink',
    async (file) => {
      const { paths, foreign } = await world();
      await symlink(foreign, join(paths.secretsDir, file));
      await expect(observeSecret(paths.secretsDir, 'local')).rejects.toThrow(
        `${join(paths.secretsDir, file)} is a symlink`,
      );
    },
  );

  it('the passphrase file handed to borg and a key export are not read through a symlink', async () => {
    const { paths, foreign } = await world();
    const path = join(paths.secretsDir, 'local.passphrase');
    await symlink(foreign, path);
    await expect(passphraseInput({ kind: 'file', path }, 'local', 'create')).rejects.toThrow(
      `${path} is a symlink`,
    );
    const key = join(paths.secretsDir, 'local.key');
    await writeFile(join(paths.secretsDir, 'elsewhere'), 'BORG_KEY 0123abcd\n');
    await symlink(join(paths.secretsDir, 'elsewhere'), key);
    await expect(exportedKeyRepositoryId(key)).rejects.toThrow(`${key} is a symlink`);
  });

  it('controls: regular files are read as before', async () => {
    const { paths } = await world();
    await writeFile(join(paths.secretsDir, 'local.passphrase'), 'pw\n', { mode: 0o600 });
    await writeFile(join(paths.secretsDir, 'local.key'), 'BORG_KEY 0123abcd\n', { mode: 0o600 });
    expect(await observeSecret(paths.secretsDir, 'local')).toEqual({ passphrase: true, key: true });
    expect(await exportedKeyRepositoryId(join(paths.secretsDir, 'local.key'))).toBe('0123abcd');
    const input = await passphraseInput(
      { kind: 'file', path: join(paths.secretsDir, 'local.passphrase') },
      'local',
      'create',
    );
    expect(Buffer.from(input ?? new Uint8Array()).toString()).toBe('pw\n');
  });
});
