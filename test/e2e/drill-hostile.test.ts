import { mkdir, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerificationRun } from '../../reconcile/operations/verification.js';
import { type AppliedWorld, appliedWorld } from '../helpers/backups.js';
import { borgops, cliPath } from '../helpers/cli.js';

// app's folder holds `link -> <outside>`, and data's folder is reached through that link;
// slow's verifyScript waits while $BORGOPS_ROOT/hold exists
function config(): Record<string, string> {
  const inventory = {
    instances: {
      borgbackup: {
        module: { name: 'borgbackup' },
        roles: {
          client: {
            machines: {
              jon: { settings: { maxAge: '1d', destinations: { local: { repo: '@REPOS@/local' } } } },
            },
          },
        },
      },
    },
  };
  const state = [
    'state:',
    '  app:',
    '    folders: [/srv/app]',
    '  data:',
    '    folders: [/srv/app/link/data]',
    '  slow:',
    '    folders: [/srv/slow]',
    '    verifyScript: |',
    '      touch "$BORGOPS_ROOT/verifying"',
    '      while [ -e "$BORGOPS_ROOT/hold" ]; do sleep 0.1; done',
    '',
  ].join('\n');
  return { 'inventory.json': JSON.stringify(inventory), 'machines/jon/state.yaml': state };
}

async function until(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 800; i += 1) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const exists = (path: string) =>
  readFile(path).then(
    () => true,
    () => false,
  );

describe('drill: hostile trees, signals and the shared lock (built CLI, real borg)', () => {
  let world: AppliedWorld;
  let outside: string;
  const drillDir = () => join(world.paths.stateDir, 'drill');

  beforeAll(async () => {
    world = await appliedWorld({ files: config() });
    outside = join(world.dir, 'outside');
    await mkdir(join(outside, 'data'), { recursive: true });
    await writeFile(join(outside, 'data/db'), 'live v1\n');
    await mkdir(join(world.root, 'srv/app'), { recursive: true });
    await writeFile(join(world.root, 'srv/app/a.txt'), 'a\n');
    await mkdir(join(world.root, 'srv/slow'), { recursive: true });
    await writeFile(join(world.root, 'srv/slow/s.txt'), 's\n');
    // restored as a link into the scratch directory: removing it must not remove what it points to
    await symlink(outside, join(world.root, 'srv/slow/out'));
    await symlink(outside, join(world.root, 'srv/app/link'));
    const created = await borgops(['backups', 'create', 'jon', ...world.args]);
    expect(created.exitCode, created.stderr).toBe(0);
    // the live data moves on after the backup: a drill must never put the old copy back
    await writeFile(join(outside, 'data/db'), 'live v2\n');
  }, 180_000);
  afterAll(async () => world?.dispose());

  it('refuses to extract through an archived symlink: nothing lands outside the scratch directory', async () => {
    const drill = await borgops(['drill', 'jon', '--json', ...world.args]);
    expect(await readFile(join(outside, 'data/db'), 'utf8')).toBe('live v2\n');
    expect(drill.exitCode).toBe(1);
    const [result] = (JSON.parse(drill.stdout) as VerificationRun).results;
    expect(result?.states?.map((s) => [s.state, s.status])).toEqual([
      ['app', 'failed'],
      ['data', 'failed'],
      ['slow', 'passed'],
    ]);
    expect(result?.failure?.class).toBe('unsafe-archive');
    expect(drill.stderr).toContain('srv/app/link/data/db (under the symlink srv/app/link)');
    // slow restored its link `out -> outside`: removing the scratch directory unlinked it only
    expect(await readdir(drillDir())).toEqual([]);
    expect(await readdir(join(outside, 'data'))).toEqual(['db']);
  }, 120_000);

  it('refuses a scratch directory that is a symlink into a live folder', async () => {
    await rm(drillDir(), { recursive: true, force: true });
    await symlink(join(world.root, 'srv/app'), drillDir());
    try {
      const drill = await borgops(['drill', 'jon', '--service', 'slow', '--json', ...world.args]);
      expect(drill.exitCode).toBe(1);
      const [result] = (JSON.parse(drill.stdout) as VerificationRun).results;
      expect(result?.failure?.class).toBe('unsafe-scratch');
      expect(result?.failure?.message).toContain('overlaps the live folder(s) /srv/app');
      expect((await readdir(join(world.root, 'srv/app'))).sort()).toEqual(['a.txt', 'link']);
    } finally {
      await rm(drillDir(), { force: true });
    }
  }, 120_000);

  it('on SIGTERM stops the verifyScript, removes the scratch directory, releases the lock, exits 143', async () => {
    await writeFile(join(world.root, 'hold'), '');
    await rm(join(world.root, 'verifying'), { force: true });
    try {
      const child = execa('node', [cliPath, 'drill', 'jon', '--service', 'slow', ...world.args], {
        reject: false,
        env: { BORGOPS_LOG_LEVEL: 'warn' },
      });
      await until(() => exists(join(world.root, 'verifying')), 'the verifyScript');
      const [scratch] = await readdir(drillDir());
      expect(await readlink(join(drillDir(), `${scratch}`, 'srv/slow/out'))).toBe(outside);
      child.kill('SIGTERM');
      const result = await child;
      expect(result.exitCode).toBe(143);
      expect(result.stderr).toContain(
        'borgops: SIGTERM: stopping the drill; its scratch directory is removed',
      );
    } finally {
      await rm(join(world.root, 'hold'), { force: true });
    }
    expect(await readdir(drillDir())).toEqual([]);
    expect(await readFile(join(outside, 'data/db'), 'utf8')).toBe('live v2\n');
    expect(await exists(world.paths.backupLock)).toBe(false);
    const check = await borgops(['check', 'jon', ...world.args]);
    expect(check.exitCode, check.stderr).toBe(0);
    expect(check.stderr).not.toContain('waiting');
  }, 120_000);

  it('a check and a backup started during a drill wait for its lock, then run', async () => {
    await writeFile(join(world.root, 'hold'), '');
    await rm(join(world.root, 'verifying'), { force: true });
    let released = false;
    try {
      const drill = execa('node', [cliPath, 'drill', 'jon', '--service', 'slow', ...world.args], {
        reject: false,
        env: { BORGOPS_LOG_LEVEL: 'warn' },
      });
      await until(() => exists(join(world.root, 'verifying')), 'the verifyScript');
      const others = [
        ['check', 'jon'],
        ['backups', 'create', 'jon'],
      ].map((args) => {
        const child = execa('node', [cliPath, ...args, ...world.args], {
          reject: false,
          env: { BORGOPS_LOG_LEVEL: 'warn' },
        });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
        });
        return { child, waiting: () => stderr.includes('waiting') };
      });
      await until(() => others.every((o) => o.waiting()), 'both to wait');
      expect(drill.exitCode).toBeNull();
      await rm(join(world.root, 'hold'));
      released = true;
      const [drilled, ...after] = await Promise.all([drill, ...others.map((o) => o.child)]);
      expect(drilled.exitCode, drilled.stderr).toBe(0);
      for (const result of after) {
        expect(result.exitCode, result.stderr).toBe(0);
        expect(result.stderr).toContain('(drill jon)');
      }
    } finally {
      if (!released) await rm(join(world.root, 'hold'), { force: true });
    }
    expect(await readdir(drillDir())).toEqual([]);
    expect(await exists(world.paths.backupLock)).toBe(false);
  }, 180_000);
});
