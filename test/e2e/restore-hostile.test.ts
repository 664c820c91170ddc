import { access, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppliedWorld, appliedWorld } from '../helpers/backups.js';
import { borgops } from '../helpers/cli.js';

function config(): Record<string, string> {
  const inventory = {
    instances: {
      borgbackup: {
        module: { name: 'borgbackup' },
        roles: {
          client: { machines: { jon: { settings: { destinations: { local: { repo: '@REPOS@/local' } } } } } },
        },
      },
    },
  };
  return {
    'inventory.json': JSON.stringify(inventory),
    'machines/jon/state.yaml':
      'state:\n  app:\n    folders: [/srv/app]\n    postRestoreScript: touch "$BORGOPS_ROOT/post-restore-ran"\n',
  };
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** A tar stream built member by member (Python's tarfile), imported by real borg as an archive. */
async function hostileTar(file: string, members: string): Promise<void> {
  const script = [
    'import io, sys, tarfile, time',
    'def add(t, name, data=None, link=None, dir=False):',
    '    i = tarfile.TarInfo(name); i.mtime = int(time.time())',
    '    if link: i.type = tarfile.SYMTYPE; i.linkname = link; t.addfile(i)',
    '    elif dir: i.type = tarfile.DIRTYPE; i.mode = 0o755; t.addfile(i)',
    '    else: i.size = len(data); i.mode = 0o644; t.addfile(i, io.BytesIO(data))',
    `with tarfile.open(sys.argv[1], 'w') as t:`,
    members,
  ].join('\n');
  await execa('python3', ['-c', script, file]);
}

describe('restore refuses archive members that resolve outside where it extracts (built CLI, real borg)', () => {
  let world: AppliedWorld;
  let outside: string;
  const repo = () => join(world.repos, 'local');
  const nameOf = (archive: string) => `local::${repo()}::${archive}`;

  beforeAll(async () => {
    world = await appliedWorld({ files: config() });
    outside = join(world.dir, 'outside');
    await mkdir(outside);
    // whoever can write the repository forges archives with this machine's names
    const throughLink = join(world.dir, 'link.tar');
    await hostileTar(
      throughLink,
      [
        "    add(t, 'srv/app', dir=True)",
        "    add(t, 'srv/app/ok.txt', b'ok')",
        `    add(t, 'srv/app/link', link=${JSON.stringify(outside)})`,
        "    add(t, 'srv/app/link/pwned', b'written through the link')",
      ].join('\n'),
    );
    const dotDot = join(world.dir, 'dotdot.tar');
    await hostileTar(
      dotDot,
      [
        "    add(t, 'srv/app', dir=True)",
        "    add(t, 'srv/app/ok.txt', b'ok')",
        "    add(t, 'srv/app/../../../escaped', b'escaped by ..')",
      ].join('\n'),
    );
    for (const [archive, tar] of [
      ['jon-local-2026-03-01T01:00:00', throughLink],
      ['jon-local-2026-03-02T01:00:00', dotDot],
    ] as const) {
      const imported = await world.rawBorg('local', ['import-tar', `${repo()}::${archive}`, tar]);
      expect(imported.exitCode, imported.stderr).toBe(0);
    }
  }, 180_000);
  afterAll(async () => world?.dispose());

  it.each([
    ['a member under an archived symlink', 'jon-local-2026-03-01T01:00:00', 'srv/app/link/pwned'],
    ['a member with .. components', 'jon-local-2026-03-02T01:00:00', 'srv/app/../../../escaped'],
  ])('%s: --target refuses it, nothing is written anywhere', async (_what, archive, member) => {
    const target = join(world.dir, `target-${archive.slice(10, 20)}`);
    const restored = await borgops([
      'backups',
      'restore',
      'jon',
      'borgbackup',
      nameOf(archive),
      '--target',
      target,
      ...world.args,
    ]);
    expect(restored.exitCode).not.toBe(0);
    expect(restored.stderr).toContain(member);
    expect(await exists(join(outside, 'pwned'))).toBe(false);
    expect(await exists(join(world.dir, 'escaped'))).toBe(false);
    // refused before extracting: not even the harmless members were written
    expect(await readdir(target).catch(() => [])).toEqual([]);
  });

  it('in place (--service): refused before the scripts run, nothing written through the link', async () => {
    const restored = await borgops([
      'backups',
      'restore',
      'jon',
      'borgbackup',
      nameOf('jon-local-2026-03-01T01:00:00'),
      '--service',
      'app',
      ...world.args,
    ]);
    expect(restored.exitCode).not.toBe(0);
    expect(restored.stderr).toContain('srv/app/link/pwned');
    expect(await exists(join(outside, 'pwned'))).toBe(false);
    expect(await exists(join(world.root, 'srv/app/ok.txt'))).toBe(false);
    expect(await exists(join(world.root, 'post-restore-ran'))).toBe(false);
  });

  it('--target must be a new or empty directory: a used one is refused', async () => {
    const target = join(world.dir, 'used-target');
    await mkdir(join(target, 'srv'), { recursive: true });
    await writeFile(join(target, 'srv/already-here'), 'x');
    const restored = await borgops([
      'backups',
      'restore',
      'jon',
      'borgbackup',
      nameOf('jon-local-2026-03-02T01:00:00'),
      '--target',
      target,
      ...world.args,
    ]);
    expect(restored.exitCode).not.toBe(0);
    expect(restored.stderr).toContain(`${target} is not empty`);
  });
});
