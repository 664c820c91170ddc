import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { runApply } from '../../reconcile/engine/converge.js';
import { createBorg } from '../../src/borg/adapter.js';
import type { Borg } from '../../src/borg/types.js';
import { type HostPaths, hostPaths } from '../../src/host/paths.js';
import { silentLogger } from '../../src/log.js';

/**
 * A config repository applied on a machine under a temporary `--root`, shared by the tests of a
 * file (made in beforeAll, removed with dispose() in afterAll): one apply and one set of
 * repositories for many cases, since every borg process costs ~0.35 s.
 */
export interface AppliedWorld {
  dir: string;
  root: string;
  config: string;
  repos: string;
  paths: HostPaths;
  borg: Borg;
  /** `--root R --state-dir S` for the CLI. */
  args: string[];
  /** Raw borg on a repository of the world with the passphrase apply generated (setup and checks only). */
  rawBorg(
    destination: string,
    args: readonly string[],
  ): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  dispose(): Promise<void>;
}

export interface WorldOptions {
  /** Config files; `@REPOS@` is replaced by the repositories directory. */
  files?: Record<string, string>;
  /** Copy this config repository (e.g. the guide's example) instead of `files`. */
  from?: string;
  /** Rewrites the copied files (e.g. to point a destination at a local repository). */
  edit?: (config: string, repos: string) => Promise<void>;
  /** Leave applying to the test (e.g. with the CLI); default: applied in-process. */
  apply?: boolean;
}

async function git(dir: string, args: string[]): Promise<void> {
  await execa('git', ['-C', dir, '-c', 'user.name=test', '-c', 'user.email=test@borgops.invalid', ...args]);
}

export async function appliedWorld(options: WorldOptions): Promise<AppliedWorld> {
  const dir = await mkdtemp(join(tmpdir(), 'borgops-backups-'));
  const config = join(dir, 'config');
  const root = join(dir, 'root');
  const repos = join(dir, 'repos');
  await mkdir(repos, { recursive: true });
  await mkdir(root, { recursive: true });
  if (options.from !== undefined) await cp(options.from, config, { recursive: true });
  for (const [path, content] of Object.entries(options.files ?? {})) {
    await mkdir(dirname(join(config, path)), { recursive: true });
    await writeFile(join(config, path), content.replaceAll('@REPOS@', repos));
  }
  await options.edit?.(config, repos);
  await execa('git', ['init', '-q', '--initial-branch=main', config]);
  await git(config, ['config', 'gc.auto', '0']);
  await git(config, ['add', '-A']);
  await git(config, ['commit', '-q', '-m', 'declarations']);

  const paths = hostPaths(root);
  const env = { ...process.env, BORG_BASE_DIR: join(paths.stateDir, 'borg') };
  const borg = createBorg({ env, logger: silentLogger() });
  const applied =
    options.apply === false
      ? undefined
      : await runApply({
          source: config,
          ref: 'HEAD',
          worktree: false,
          machine: 'jon',
          root,
          stateDir: paths.stateDir,
          refresh: false,
          scheduler: 'embedded',
          logger: silentLogger(),
          borg,
          allow: new Set(),
        });
  if (applied && applied.result.errors.length > 0) throw new Error(JSON.stringify(applied.result.errors));
  return {
    dir,
    root,
    config,
    repos,
    paths,
    borg,
    args: ['--root', root, '--state-dir', paths.stateDir],
    async rawBorg(destination, args) {
      const passphrase = await readFile(join(paths.secretsDir, `${destination}.passphrase`), 'utf8').catch(
        () => '',
      );
      const result = await execa('borg', [...args], {
        reject: false,
        stdin: 'ignore',
        env: { ...env, BORG_PASSPHRASE: passphrase.trim() },
        cwd: root,
      });
      return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
    },
    async dispose() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The names of the archives in a repository, checkpoints included, sorted. */
export async function archiveNames(
  world: AppliedWorld,
  destination: string,
  repo: string,
): Promise<string[]> {
  const result = await world.rawBorg(destination, ['list', '--consider-checkpoints', '--short', repo]);
  if (result.exitCode !== 0) throw new Error(`borg list failed: ${result.stderr}`);
  return result.stdout
    .split('\n')
    .filter((line) => line !== '')
    .sort();
}

/** Files under a directory as `relative path: content`, sorted (what a restore must reproduce). */
export async function treeOf(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.push(`${path.slice(dir.length + 1)}: ${await readFile(path, 'utf8')}`);
  }
  return files.sort();
}

/**
 * The guide's linkding scenario, runnable without root or systemd: live data in
 * `$BORGOPS_ROOT/data/podman/linkding`, staged for the backup in `/var/backup/linkding` by the
 * pre-backup script and put back by the post-restore script. Every script appends what it saw to
 * `$BORGOPS_ROOT/hooks.log`; a file `$BORGOPS_ROOT/fail-<hook>` makes that hook fail.
 */
export function linkdingFiles(destinations: readonly string[]): Record<string, string> {
  const inventory = {
    // sara is declared but not applied on this host
    machines: { jon: {}, sara: {} },
    instances: {
      borgbackup: {
        module: { name: 'borgbackup', input: 'clan-core' },
        roles: {
          client: {
            machines: {
              jon: {
                settings: {
                  destinations: Object.fromEntries(destinations.map((d) => [d, { repo: `@REPOS@/${d}` }])),
                },
              },
            },
          },
        },
      },
    },
  };
  const log = (hook: string) =>
    [
      `echo "${hook} machine=$BORGOPS_MACHINE state=$BORGOPS_STATE name=\${NAME-} folders=\${FOLDERS-} cwd=$PWD" >> "$BORGOPS_ROOT/hooks.log"`,
      `if [ -e "$BORGOPS_ROOT/fail-${hook}" ]; then echo "${hook}: refusing, as asked" >&2; exit 3; fi`,
    ].join('\n');
  const script = (lines: string[]) =>
    `|\n${lines
      .flatMap((l) => l.split('\n'))
      .map((l) => `      ${l}`)
      .join('\n')}`;
  const state = [
    'state:',
    '  linkding:',
    '    folders: [/var/backup/linkding]',
    `    preBackupScript: ${script([
      log('pre-backup-linkding'),
      'rm -rf "$BORGOPS_ROOT/var/backup/linkding"',
      'mkdir -p "$BORGOPS_ROOT/var/backup/linkding"',
      'cp -a "$BORGOPS_ROOT/data/podman/linkding/." "$BORGOPS_ROOT/var/backup/linkding/"',
    ])}`,
    `    postBackupScript: ${script([log('post-backup-linkding')])}`,
    `    preRestoreScript: ${script([log('pre-restore-linkding')])}`,
    `    postRestoreScript: ${script([
      log('post-restore-linkding'),
      'rm -rf "$BORGOPS_ROOT/data/podman/linkding"',
      'mkdir -p "$BORGOPS_ROOT/data/podman/linkding"',
      'cp -a "$BORGOPS_ROOT/var/backup/linkding/." "$BORGOPS_ROOT/data/podman/linkding/"',
    ])}`,
    '  zerotier:',
    '    folders: [/var/lib/zerotier-one]',
    `    preRestoreScript: ${script([log('pre-restore-zerotier')])}`,
    '  notes:',
    `    postBackupScript: ${script([log('post-backup-notes')])}`,
    '',
  ].join('\n');
  return { 'inventory.json': `${JSON.stringify(inventory, null, 2)}\n`, 'machines/jon/state.yaml': state };
}
