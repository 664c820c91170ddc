import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
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
