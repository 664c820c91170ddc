import { chmod, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBorg } from '../../../src/borg/adapter.js';
import { parseVersion, unsupportedVersion } from '../../../src/borg/version.js';
import { borgops } from '../../helpers/cli.js';
import { localConfig } from '../../helpers/fleet.js';
import { gitRepo } from '../../helpers/git.js';
import { tempDir } from '../../helpers/temp.js';

/*
 * borg 2 (Debian's borgbackup2 is a beta) changed its command line and repository format: with
 * it first on PATH, borgops must refuse once and clearly, before any repository is touched. borg 2
 * is not installed here, so a fake `borg` stands in for this one unit: it prints a borg 2 version
 * and records every other call in a file, which must stay absent.
 */
async function fakeBorg2(): Promise<{ dir: string; calls: string }> {
  const dir = await tempDir('borgops-borg2-');
  const bin = join(dir, 'bin');
  await mkdir(bin);
  const calls = join(dir, 'calls');
  await writeFile(
    join(bin, 'borg'),
    `#!/bin/sh\nif [ "$1" = --version ]; then echo asked >> '${calls}.version'; echo "borg 2.0.0b14"; exit 0; fi\necho "$@" >> '${calls}'\necho "usage: borg list ..." >&2\nexit 2\n`,
  );
  await chmod(join(bin, 'borg'), 0o755);
  return { dir, calls };
}

const absent = (path: string) =>
  readFile(path, 'utf8').then(
    (text) => `called: ${text}`,
    () => 'absent',
  );

describe('borg versions', () => {
  // CI's second pass (.ci/run) puts borg 1.4 first on PATH: prove that it is the one that runs
  it.runIf(process.env.BORGOPS_EXPECT_BORG !== undefined)(
    `the borg under test is ${process.env.BORGOPS_EXPECT_BORG ?? 'the expected one'}`,
    async () => {
      const version = await createBorg({ checkVersion: true }).version();
      expect(`${version.major}.${version.minor}`).toBe(process.env.BORGOPS_EXPECT_BORG);
    },
  );

  it('accepts 1.2 to 1.4 and says why it refuses the others', () => {
    const message = (text: string) => {
      const version = parseVersion(text);
      return version === undefined ? 'unparsed' : unsupportedVersion(version);
    };
    expect(message('borg 1.2.4')).toBeUndefined();
    expect(message('borg 1.4.0')).toBeUndefined();
    expect(message('borg 1.4.5')).toBeUndefined();
    expect(message('borg 2.0.0b14')).toBe(
      'borg 2.0.0b14 is not supported yet; borgops needs borg 1.2 to 1.4',
    );
    expect(message('borg 1.1.18')).toBe('borg 1.1.18 is not supported; borgops needs borg 1.2 to 1.4');
  });

  it('the adapter refuses borg 2 before it touches a repository, asking its version once', async () => {
    const { dir, calls } = await fakeBorg2();
    const borg = createBorg({ command: [join(dir, 'bin', 'borg')], checkVersion: true });
    const target = {
      destination: 'a',
      repo: join(dir, 'repo'),
      passphrase: { kind: 'none' },
      lockWait: 1,
    } as const;
    const results = await Promise.allSettled([borg.list(target), borg.list({ ...target, destination: 'b' })]);
    for (const result of results) {
      expect(result).toMatchObject({
        status: 'rejected',
        reason: {
          code: 'E_BORG',
          message: 'borg 2.0.0b14 is not supported yet; borgops needs borg 1.2 to 1.4',
        },
      });
    }
    await expect(borg.init(target, 'none')).rejects.toThrow(/borgops needs borg 1.2 to 1.4/);
    expect(await absent(calls)).toBe('absent');
    expect(borg.processCount).toBe(0);
    expect(await readFile(`${calls}.version`, 'utf8')).toBe('asked\n');
  });

  it('remembers the version per installed executable: asked once, asked again when borg is replaced', async () => {
    const dir = await tempDir('borgops-version-cache-');
    const bin = join(dir, 'bin');
    await mkdir(bin);
    const asked = join(dir, 'asked');
    const install = async (version: string) => {
      // a package manager writes a new file: a new inode, size and change time
      await rm(join(bin, 'borg'), { force: true });
      await writeFile(join(bin, 'borg'), `#!/bin/sh\necho "$@" >> '${asked}'\necho "borg ${version}"\n`, {
        mode: 0o755,
      });
    };
    const state = join(dir, 'state');
    await mkdir(state);
    const cache = join(state, 'borg-version.json');
    const adapter = () =>
      createBorg({
        command: ['borg'],
        env: { PATH: `${bin}:/usr/bin:/bin` },
        checkVersion: true,
        versionCache: cache,
      });
    const calls = async () => (await readFile(asked, 'utf8').catch(() => '')).split('\n').filter(Boolean);

    await install('1.2.9');
    expect((await adapter().version()).text).toBe('1.2.9');
    expect(await calls()).toEqual(['--version']);
    // a second command (a new adapter, as a new process makes) asks no borg
    expect((await adapter().version()).text).toBe('1.2.9');
    expect(await calls()).toEqual(['--version']);
    expect(JSON.parse(await readFile(cache, 'utf8'))).toMatchObject({ version: { text: '1.2.9' } });

    // borg 2 installed in its place: asked again, and refused before any repository is touched
    await install('2.0.0b14');
    const borg = adapter();
    const target = {
      destination: 'a',
      repo: join(dir, 'repo'),
      passphrase: { kind: 'none' },
      lockWait: 1,
    } as const;
    await expect(borg.list(target)).rejects.toThrow('borg 2.0.0b14 is not supported yet');
    expect(await calls()).toEqual(['--version', '--version']);
    expect(borg.processCount).toBe(0);

    // a cache that cannot be trusted is asked past, and a missing state directory is not created
    await writeFile(cache, '{"fingerprint": 1}');
    expect((await adapter().version()).text).toBe('2.0.0b14');
    const elsewhere = join(dir, 'no-state', 'borg-version.json');
    await createBorg({
      command: ['borg'],
      env: { PATH: bin },
      checkVersion: true,
      versionCache: elsewhere,
    }).version();
    await expect(readFile(elsewhere)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await calls()).toHaveLength(4);

    // a link in the cache's place, to a file that says this borg 2 is 1.2.9: never read through
    const forged = JSON.parse(await readFile(cache, 'utf8'));
    forged.version = { major: 1, minor: 2, patch: 9, text: '1.2.9' };
    const planted = join(dir, 'planted.json');
    await writeFile(planted, JSON.stringify(forged));
    await rm(cache);
    await symlink(planted, cache);
    expect((await adapter().version()).text).toBe('2.0.0b14');
    expect(await calls()).toHaveLength(5);
  });

  it('`borgops plan` with borg 2 first on PATH exits 1 with one line, touching no repository', async () => {
    const { dir, calls } = await fakeBorg2();
    const repo = await gitRepo(localConfig({ local: join(dir, 'repos', 'local') }));
    const result = await borgops(
      [
        'plan',
        '--source',
        repo.dir,
        '--machine',
        'jon',
        '--root',
        join(dir, 'root'),
        '--scheduler',
        'embedded',
      ],
      { env: { PATH: `${join(dir, 'bin')}:${process.env.PATH ?? ''}` } },
    );
    expect(result.stderr).toBe(
      'borgops: borg 2.0.0b14 is not supported yet; borgops needs borg 1.2 to 1.4\n',
    );
    expect(result.exitCode).toBe(1);
    expect(await absent(calls)).toBe('absent');
  });
});
