import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { onTestFinished } from 'vitest';
import { type ConvergeOptions, runApply } from '../../reconcile/engine/converge.js';
import { loadSource, requireValid } from '../../reconcile/engine/declarations.js';
import type { GuardName } from '../../reconcile/engine/model.js';
import { createBorg } from '../../src/borg/adapter.js';
import type { Borg, BorgTarget } from '../../src/borg/types.js';
import { compile } from '../../src/desired/compile.js';
import { type HostPaths, hostPaths } from '../../src/host/paths.js';
import { borgTarget } from '../../src/host/targets.js';
import { silentLogger } from '../../src/log.js';
import { localConfig } from './fleet.js';
import { gitRepo, type TestRepo } from './git.js';
import { tempDir } from './temp.js';

/** A config repository, a temporary root and real borg, driven in-process like the CLI does. */
export interface ConvergeWorld {
  repo: TestRepo;
  root: string;
  repos: string;
  paths: HostPaths;
  borg: Borg;
  env: Record<string, string>;
  options: ConvergeOptions;
  apply(allow?: GuardName[]): ReturnType<typeof runApply>;
  /** How borgops reaches a destination, for setting up archives with the adapter. */
  target(destination: string): Promise<BorgTarget>;
  /** Raw borg with the world's environment, for setup and cross-checks only. */
  raw(
    args: readonly string[],
    env?: Record<string, string>,
  ): Promise<{ exitCode: number; stdout: string; stderr: string }>;
}

export async function convergeWorld(
  extra: Record<string, unknown> = {},
  destinations = ['local'],
): Promise<ConvergeWorld> {
  const base = await tempDir('borgops-converge-');
  const root = join(base, 'root');
  const repos = join(base, 'repos');
  await mkdir(repos, { recursive: true });
  const repo = await gitRepo(
    localConfig(Object.fromEntries(destinations.map((d) => [d, join(repos, d)])), extra),
  );
  const stateDir = join(root, 'var/lib/borgops');
  const paths = hostPaths(root, stateDir);
  const env = {
    ...(Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined)) as Record<
      string,
      string
    >),
    BORG_BASE_DIR: join(stateDir, 'borg'),
  };
  const borg = createBorg({ env, logger: silentLogger() });
  const options: ConvergeOptions = {
    source: repo.dir,
    ref: 'HEAD',
    worktree: false,
    machine: 'jon',
    root,
    stateDir,
    refresh: false,
    scheduler: 'embedded',
    logger: silentLogger(),
    borg,
  };
  return {
    repo,
    root,
    repos,
    paths,
    borg,
    env,
    options,
    apply: (allow = []) => runApply({ ...options, allow: new Set(allow) }),
    async target(destination) {
      const { declarations } = requireValid(await loadSource(options));
      const desired = compile(declarations, 'jon').destinations.find((d) => d.name === destination);
      if (!desired) throw new Error(`no destination ${destination}`);
      return borgTarget(desired, paths);
    },
    async raw(args, extraEnv = {}) {
      const result = await execa('borg', [...args], {
        reject: false,
        stdin: 'ignore',
        env: { ...env, ...extraEnv },
        extendEnv: false,
      });
      return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
    },
  };
}

/** Archive names in a repository, read with raw borg and the generated passphrase. */
export async function archiveNames(world: ConvergeWorld, destination: string): Promise<string[]> {
  const passphrase = (
    await readFile(join(world.paths.secretsDir, `${destination}.passphrase`), 'utf8')
  ).trim();
  const result = await world.raw(['list', '--short', join(world.repos, destination)], {
    BORG_PASSPHRASE: passphrase,
  });
  if (result.exitCode !== 0) throw new Error(result.stderr);
  return result.stdout.split('\n').filter((line) => line !== '');
}

/** jon's archives of 2026-03-DD at 01:00, one per day, named as borgops names them. */
export function dailyArchives(days: string[]): Record<string, string> {
  return Object.fromEntries(
    days.map((day) => [`jon-local-2026-03-${day}T01:00:00`, `2026-03-${day}T01:00:00`]),
  );
}

/** Creates archives (name → creation time) of jon's linkding folder in a destination, with the adapter. */
export async function seedArchives(
  world: ConvergeWorld,
  destination: string,
  archives: Record<string, string>,
): Promise<void> {
  const target = await world.target(destination);
  const tree = join(world.root, 'var/backup/linkding');
  await mkdir(tree, { recursive: true });
  await writeFile(join(tree, 'db'), 'data\n');
  for (const [name, timestamp] of Object.entries(archives)) {
    await world.borg.create(target, name, {
      paths: ['var/backup/linkding'],
      cwd: world.root,
      compression: 'none',
      exclude: [],
      timestamp,
    });
  }
}

/** Keeps a repository locked (borg with-lock … cat) until the test ends or release is called. */
export async function lockRepository(world: ConvergeWorld, repository: string): Promise<() => Promise<void>> {
  const holder = execa('borg', ['with-lock', repository, 'cat'], {
    env: world.env,
    extendEnv: false,
    stdin: 'pipe',
    stdout: 'ignore',
    reject: false,
  });
  const release = async () => {
    holder.stdin.end();
    await holder;
  };
  onTestFinished(release);
  for (let attempt = 0; attempt < 400; attempt++) {
    if ((await readdir(repository)).includes('lock.roster')) return release;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('borg with-lock did not take the lock');
}
