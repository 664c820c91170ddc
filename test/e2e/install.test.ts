import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { localConfig } from '../helpers/fleet.js';
import { gitRepo } from '../helpers/git.js';
import { tempDir } from '../helpers/temp.js';
import { hasSystemdAnalyze, verifyUnits } from '../src/host/schedulers/systemd-analyze-verify.js';

const checkout = new URL('../..', import.meta.url).pathname;

/** `npm pack` of the built checkout (CI builds before the tests; prepack builds for people). */
async function packAndInstall(): Promise<{ prefix: string; bin: string }> {
  const dir = await tempDir('borgops-install-');
  const packed = await execa('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
    cwd: checkout,
  });
  const [{ filename, files }] = JSON.parse(packed.stdout) as [
    { filename: string; files: { path: string }[] },
  ];
  // the launcher, the bundled CLI with its code cache (no runtime dependencies), and the example unit
  expect(files.map((f) => f.path).sort()).toEqual(
    expect.arrayContaining([
      'dist/borgops.cjs',
      'dist/borgops.mjs',
      'dist/borgops.core.js',
      'dist/borgops.core.js.v8cache',
      'examples/agent/borgops-watch.service',
      'package.json',
    ]),
  );
  expect(files.some((f) => f.path.startsWith('dist/src/') || f.path.startsWith('dist/reconcile/'))).toBe(
    false,
  );
  const prefix = join(dir, 'prefix');
  // --offline: nothing to download, the package has no runtime dependencies
  await execa('npm', [
    'install',
    '-g',
    '--offline',
    '--no-audit',
    '--no-fund',
    '--prefix',
    prefix,
    join(dir, filename),
  ]);
  return { prefix, bin: join(prefix, 'bin', 'borgops') };
}

describe('npm install -g of the packed tarball', () => {
  it('gives a working borgops that generated systemd units and the example unit call', async () => {
    const { prefix, bin } = await packAndInstall();
    const pkg = JSON.parse(await readFile(join(checkout, 'package.json'), 'utf8')) as { version: string };
    const env = { PATH: `${join(prefix, 'bin')}:${process.env.PATH ?? ''}` };
    // found on PATH, as a user types it
    const version = await execa('borgops', ['--version'], { env });
    expect(version.stdout.trim()).toBe(pkg.version);

    const base = await tempDir('borgops-install-');
    const repos = join(base, 'repos');
    await mkdir(repos);
    const repo = await gitRepo(localConfig({ local: join(repos, 'local') }));
    const root = join(base, 'root');
    const apply = await execa(
      'borgops',
      ['apply', '--source', repo.dir, '--machine', 'jon', '--root', root, '--scheduler', 'systemd'],
      { env, reject: false },
    );
    expect(apply.exitCode, apply.stderr).toBe(0);
    const service = join(root, 'etc/systemd/system/borgbackup-job-local.service');
    const unit = await readFile(service, 'utf8');
    // the installed command, not the checkout the tests run from
    expect(unit).toContain(`ExecStart=${process.execPath} ${bin} backups create jon --destination local`);
    expect(unit).not.toContain(checkout);

    // the example unit runs /usr/bin/borgops: where `npm install -g --prefix /usr` puts the bin
    const example = await readFile(
      join(prefix, 'lib/node_modules/borgops/examples/agent/borgops-watch.service'),
      'utf8',
    );
    const exec = /^ExecStart=(\S+) watch /m.exec(example)?.[1];
    expect(exec).toBe('/usr/bin/borgops');
    if (hasSystemdAnalyze) {
      // systemd accepts it once the path is this install's bin
      const copy = join(base, 'borgops-watch.service');
      await writeFile(copy, example.replace('/usr/bin/borgops', bin));
      const verified = verifyUnits([copy]);
      expect(verified.output).not.toMatch(/not executable|No such file|Failed/);
    }
  });
});
