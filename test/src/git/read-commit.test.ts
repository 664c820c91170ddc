import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { classify, isConfigPath, mayHoldConfigFiles } from '../../../src/config/files.js';
import { isBorgopsError } from '../../../src/errors.js';
import {
  type ConfigSnapshot,
  type GitSource,
  MAX_CONFIG_FILE_BYTES,
  openSource,
  readAtCommit,
} from '../../../src/git/source.js';
import { gitRepo, type TestRepo } from '../../helpers/git.js';
import { tempDir } from '../../helpers/temp.js';

const realGit = (await execa('sh', ['-c', 'command -v git'])).stdout.trim();
const git = (dir: string, args: string[]) => execa(realGit, args, { cwd: dir });

/**
 * What `git ls-tree -r` lists as config files at `ref` (the listing borgops read before), in its
 * order, with each file's contents: the oracle a commit's read must equal.
 */
async function lsTreeFiles(dir: string, ref: string, prefix = ''): Promise<[string, string][]> {
  const args = ['ls-tree', '-r', '-z', '--full-tree', ref, ...(prefix === '' ? [] : ['--', prefix])];
  const listing = await execa(realGit, args, { cwd: dir, encoding: 'buffer' });
  const files: [string, string][] = [];
  for (const entry of Buffer.from(listing.stdout).toString('utf8').split('\0')) {
    const tab = entry.indexOf('\t');
    const [mode, type, object] = entry.slice(0, tab).split(' ');
    const path = entry.slice(tab + 1).slice(prefix.length);
    if (tab === -1 || type !== 'blob' || mode === '120000' || !isConfigPath(path)) continue;
    const blob = await execa(realGit, ['cat-file', 'blob', object ?? ''], {
      cwd: dir,
      encoding: 'buffer',
      stripFinalNewline: false,
    });
    files.push([path, Buffer.from(blob.stdout).toString('utf8')]);
  }
  return files;
}

/** Writes files given by path (a Buffer path for names that are not UTF-8) and commits them all. */
async function commitAll(dir: string, files: [string | Buffer, string][]): Promise<string> {
  for (const [path, content] of files) {
    const target = Buffer.concat([
      Buffer.from(`${dir}/`),
      typeof path === 'string' ? Buffer.from(path) : path,
    ]);
    await mkdir(target.subarray(0, target.lastIndexOf('/')), { recursive: true });
    await writeFile(target, content);
  }
  await git(dir, ['add', '-A']);
  await git(dir, ['-c', 'user.name=t', '-c', 'user.email=t@borgops.invalid', 'commit', '-qm', 'files']);
  return (await git(dir, ['rev-parse', 'HEAD'])).stdout;
}

const savedPath = process.env.PATH;
afterEach(() => {
  process.env.PATH = savedPath;
});

/**
 * Puts a `git` first on PATH that logs each invocation's arguments (and, with `commands`, what is
 * written to a `git cat-file`) and runs the real git; `catFile` replaces how `git cat-file` is run.
 */
async function wrapGit(
  options: { catFile?: string } = {},
): Promise<{ invocations(): Promise<string[]>; commands(): Promise<string> }> {
  const dir = await tempDir('borgops-git-wrapper-');
  const log = join(dir, 'invocations.log');
  const commands = join(dir, 'commands.log');
  await writeFile(log, '');
  await writeFile(commands, '');
  const script = [
    '#!/bin/sh',
    `printf '%s\\n' "$*" >> '${log}'`,
    `real='${realGit}'`,
    `commands='${commands}'`,
    'if [ "$1" = cat-file ]; then',
    // each request is logged before git sees it (tee forwards first, so a read could end
    // before tee had logged the last request git answered)
    options.catFile ??
      [
        '  while IFS= read -r line; do',
        '    printf \'%s\\n\' "$line" >> "$commands"; printf \'%s\\n\' "$line"',
        '  done | "$real" "$@"; exit $?',
      ].join('\n'),
    'fi',
    'exec "$real" "$@"',
    '',
  ].join('\n');
  await writeFile(join(dir, 'git'), script);
  await chmod(join(dir, 'git'), 0o755);
  process.env.PATH = `${dir}:${savedPath}`;
  return {
    invocations: async () => (await readFile(log, 'utf8')).split('\n').filter((line) => line !== ''),
    commands: () => readFile(commands, 'utf8'),
  };
}

async function readWithWrapper(
  source: GitSource,
  ref: string,
  catFile?: string,
  options: { reuse?: ConfigSnapshot } = {},
) {
  const wrapper = await wrapGit(catFile === undefined ? {} : { catFile });
  const snapshot = await readAtCommit(source, ref, options).catch((error: unknown) => error);
  process.env.PATH = savedPath;
  return { snapshot, invocations: await wrapper.invocations(), commands: await wrapper.commands() };
}

const fleet: Record<string, string> = {
  'inventory.json': '{"instances": {}}\n',
  'README.md': 'not config',
  'machines/jon/state.yaml': 'state: {}\n',
  'machines/jon/borgbackup.ssh.pub': 'ssh-ed25519 AAAA jon\n',
  'machines/jon/secrets/offsite.passphrase.age': '-----BEGIN AGE ENCRYPTED FILE-----\njon\n',
  'machines/jon/secrets/offsite.key.age': '-----BEGIN AGE ENCRYPTED FILE-----\nkey\n',
  'machines/jon/notes/state.yaml': 'not config: too deep',
  'machines/sara/state.json': '{"state": {}}',
  'machines/sara/state.yml': 'misnamed: but read, to be named\n',
  'machines/README': 'not config',
};

const canSha256 = await supportsSha256();

describe('reading a commit with one git process', () => {
  it('reads a commit with exactly one git process, the files as ls-tree listed them', async () => {
    const repo = await gitRepo({ ...fleet, 'inventory.yml': 'misnamed: true\n' });
    const source = await openSource(repo.dir);
    const { snapshot, invocations } = await readWithWrapper(source, 'HEAD');
    expect(invocations).toEqual(['cat-file --batch-command --buffer']);
    expect(snapshot).toMatchObject({ commit: await repo.git.revparse(['HEAD']), worktree: false });
    const files = (snapshot as { files: Map<string, string> }).files;
    expect([...files]).toEqual(await lsTreeFiles(repo.dir, 'HEAD'));
    expect([...files.keys()]).toEqual([
      'inventory.json',
      'inventory.yml',
      'machines/jon/borgbackup.ssh.pub',
      'machines/jon/secrets/offsite.key.age',
      'machines/jon/secrets/offsite.passphrase.age',
      'machines/jon/state.yaml',
      'machines/sara/state.json',
      'machines/sara/state.yml',
    ]);
  });

  it('walks every directory a config file can be in', () => {
    const paths = [
      'inventory.json',
      'inventory.yaml',
      'inventory.yml',
      'machines/m/state.json',
      'machines/m/state.yaml',
      'machines/m/state.yml',
      'machines/m/borgbackup.ssh.pub',
      'machines/m/secrets/d.passphrase.age',
      'machines/m/secrets/d.key.age',
    ];
    for (const path of paths) {
      expect(classify(path)).toBeDefined();
      const parts = path.split('/');
      for (let depth = 0; depth < parts.length; depth++)
        expect(mayHoldConfigFiles(parts.slice(0, depth).join('/'))).toBe(true);
    }
    for (const dir of ['docs', 'machines/m/notes', 'machines/m/secrets/old', 'secrets'])
      expect(mayHoldConfigFiles(dir)).toBe(false);
  });

  it('walks only the trees that can hold config files', async () => {
    const docs: Record<string, string> = {};
    for (let i = 0; i < 30; i++) docs[`docs/page${i}/index.md`] = `page ${i}`;
    const repo = await gitRepo({ ...fleet, ...docs });
    const { snapshot, commands } = await readWithWrapper(await openSource(repo.dir), 'HEAD');
    expect((snapshot as { files: Map<string, string> }).files.size).toBe(7);
    const objectOf = async (path: string) => (await git(repo.dir, ['rev-parse', `HEAD:${path}`])).stdout;
    for (const path of ['docs', 'docs/page0', 'machines/jon/notes'])
      expect(commands).not.toContain(await objectOf(path));
    for (const path of ['machines', 'machines/jon', 'machines/jon/secrets', 'machines/sara'])
      expect(commands).toContain(`contents ${await objectOf(path)}\n`);
    // and the files outside config paths are never asked for
    expect(commands).not.toContain(await objectOf('README.md'));
  });

  it('reads what the commit resolved first, when the ref moves during the read', async () => {
    const repo = await gitRepo({ ...fleet });
    const first = await repo.git.revparse(['HEAD']);
    const second = await repo.commit({
      'inventory.json': '{"instances": {"moved": {}}}\n',
      'machines/jon/state.yaml': 'state: {moved: {}}\n',
    });
    await git(repo.dir, ['update-ref', 'refs/heads/main', first]);
    const source = await openSource(repo.dir);
    // git answers the ref's resolution; before it is asked anything more, main moves on
    const moveMain = [
      '  {',
      '    IFS= read -r line; printf "%s\\n" "$line"',
      '    IFS= read -r line; printf "%s\\n" "$line"',
      '    IFS= read -r line',
      `    "$real" update-ref refs/heads/main ${second}`,
      '    printf "%s\\n" "$line"',
      '    exec cat',
      '  } | "$real" "$@"; exit $?',
    ].join('\n');
    const { snapshot } = await readWithWrapper(source, 'main', moveMain);
    expect((await git(repo.dir, ['rev-parse', 'main'])).stdout).toBe(second);
    expect(snapshot).toMatchObject({ commit: first });
    expect([...(snapshot as { files: Map<string, string> }).files]).toEqual(
      await lsTreeFiles(repo.dir, first),
    );
  });

  it('reads hostile file and machine names as ls-tree listed them', async () => {
    const dir = await tempDir();
    await git(dir, ['init', '-q', '-b', 'main']);
    const files: [string | Buffer, string][] = [
      ['inventory.json', '{}'],
      ['machines/-x/state.yaml', 'dash'],
      ['machines/a\nb/state.yaml', 'newline'],
      ['machines/tab\there/state.json', 'tab'],
      ['machines/ctl\x01\x1b[31m\x7f/borgbackup.ssh.pub', 'control characters'],
      ['machines/é ü ✓/secrets/d e\nst.passphrase.age', 'unicode and newline'],
      ['machines/m/state.yaml\n', 'not a config path'],
      ['machines/--/secrets/-.key.age', 'dashes'],
      [Buffer.from('machines/\xff\xfe/state.yaml', 'latin1'), 'not UTF-8'],
    ];
    const commit = await commitAll(dir, files);
    const source = await openSource(dir);
    const { snapshot, invocations } = await readWithWrapper(source, 'HEAD');
    expect(invocations).toHaveLength(1);
    const read = [...(snapshot as { files: Map<string, string> }).files];
    expect(read).toEqual(await lsTreeFiles(dir, commit));
    expect(read.map(([path]) => path)).toContain('machines/a\nb/state.yaml');
    expect(read).toHaveLength(8);
    // a ref with a line break is a ref git does not know, not a second command
    await expect(readAtCommit(source, 'HEAD\ninfo HEAD')).rejects.toThrow('unknown ref "HEAD\ninfo HEAD"');
  });

  it('reads a subdirectory config, and nothing at a commit without that directory', async () => {
    const repo = await gitRepo({ 'other/inventory.json': '{}' });
    const before = await repo.git.revparse(['HEAD']);
    const asFile = await repo.commit({ 'backups/sub': 'a file where the config directory will be' });
    await repo.commit({ 'backups/sub': null });
    await repo.commit(
      Object.fromEntries(Object.entries(fleet).map(([path, text]) => [`backups/sub/${path}`, text])),
    );
    const source = await openSource(join(repo.dir, 'backups/sub'));
    expect(source.prefix).toBe('backups/sub/');
    const { snapshot, invocations } = await readWithWrapper(source, 'HEAD');
    expect(invocations).toHaveLength(1);
    expect([...(snapshot as { files: Map<string, string> }).files]).toEqual(
      await lsTreeFiles(repo.dir, 'HEAD', 'backups/sub/'),
    );
    expect((await readAtCommit(source, before)).files.size).toBe(0);
    expect((await readAtCommit(source, asFile)).files.size).toBe(0);
  });

  it.skipIf(!canSha256)('reads a SHA-256 repository', async () => {
    const dir = await tempDir();
    await git(dir, ['init', '-q', '-b', 'main', '--object-format=sha256']);
    const commit = await commitAll(dir, Object.entries(fleet));
    expect(commit).toMatch(/^[0-9a-f]{64}$/);
    const source = await openSource(dir);
    const snapshot = await readAtCommit(source, 'main');
    expect(snapshot.commit).toBe(commit);
    expect([...snapshot.files]).toEqual(await lsTreeFiles(dir, commit));
    expect(snapshot.files.size).toBe(7);
    await symlink('state.yaml', join(dir, 'machines/jon/state.json'));
    await commitAll(dir, []);
    await expect(readAtCommit(source, 'main')).rejects.toThrow(
      'machines/jon/state.json: is a symbolic link; borgops reads config files from git objects and does not follow links (commit the file itself)',
    );
  });
});

describe('a git that fails during the read', () => {
  it('names the commit, never the output, when git dies mid-read', async () => {
    const repo = await gitRepo({ ...fleet });
    const commit = await repo.git.revparse(['HEAD']);
    // git answers the ref's resolution, then its input ends and it is gone with a complaint
    const dies = [
      '  {',
      '    IFS= read -r line; printf "%s\\n" "$line"',
      '    IFS= read -r line; printf "%s\\n" "$line"',
      '    IFS= read -r line; echo "fatal: simulated failure" >&2',
      '  } | "$real" "$@"; exit 128',
    ].join('\n');
    const { snapshot: error } = await readWithWrapper(await openSource(repo.dir), 'HEAD', dies);
    expect(isBorgopsError(error, 'E_GIT')).toBe(true);
    expect((error as Error).message).toBe(
      `cannot read ${repo.dir} at ${commit.slice(0, 12)}: git cat-file failed (fatal: simulated failure)`,
    );
  });

  it('gives up on an answer that makes no sense, without printing it', async () => {
    const repo = await gitRepo({ ...fleet });
    const garbage = '  printf "secret contents\\n"; exec cat > /dev/null';
    const { snapshot: error } = await readWithWrapper(await openSource(repo.dir), 'HEAD', garbage);
    expect(isBorgopsError(error, 'E_GIT')).toBe(true);
    expect((error as Error).message).toBe(
      `cannot read ${repo.dir} at "HEAD": git cat-file answered unexpectedly`,
    );
  });

  it('refuses a ref that could be an option before starting git', async () => {
    const repo = await gitRepo({ ...fleet });
    const { snapshot: error, invocations } = await readWithWrapper(await openSource(repo.dir), '--all');
    expect(isBorgopsError(error, 'E_USAGE')).toBe(true);
    expect(invocations).toEqual([]);
  });
});

/** A fleet of `count` machines, each with a state file, a public key and a secret (m00, m01, …). */
function fleetOf(count: number): Record<string, string> {
  const files: Record<string, string> = { 'inventory.json': '{"instances": {}}\n', 'README.md': 'docs\n' };
  for (let i = 0; i < count; i++) {
    const m = `m${String(i).padStart(2, '0')}`;
    files[`machines/${m}/state.yaml`] = `state: {}\n# ${m}\n`;
    // no line end: the key's contents can also be a link's target, with the same object id
    files[`machines/${m}/borgbackup.ssh.pub`] = `ssh-ed25519 AAAA ${m}`;
    files[`machines/${m}/secrets/d.passphrase.age`] = `-----BEGIN AGE ENCRYPTED FILE-----\n${m}\n`;
  }
  return files;
}

/** What a read asked git for, one `<command> <name>` a line (flushes left out), sorted. */
function requests(commands: string): string[] {
  return commands
    .split('\n')
    .filter((line) => line !== '' && line !== 'flush')
    .sort();
}

/** The requests a read of `ref` makes for the trees and blobs at `paths` (relative to `prefix`). */
async function requestsFor(
  dir: string,
  ref: string,
  paths: { trees?: string[]; sized?: string[]; read?: string[] },
  prefix = '',
): Promise<string[]> {
  const objectOf = async (path: string) =>
    (await git(dir, ['rev-parse', `${ref}:${prefix}${path}`])).stdout.trim();
  const lines = [`contents ${ref}^{commit}`];
  for (const path of paths.trees ?? []) lines.push(`contents ${await objectOf(path)}`);
  for (const path of paths.sized ?? []) lines.push(`info ${await objectOf(path)}`);
  for (const path of paths.read ?? []) lines.push(`contents ${await objectOf(path)}`);
  return lines.sort();
}

const m07 = 'machines/m07';

/** A read's outcome, to compare one with reuse to one without: the files in order, or the error. */
function outcome(read: unknown) {
  if (read instanceof Error)
    return { error: { ...read, message: read.message, name: read.name } as Record<string, unknown> };
  return { files: [...(read as ConfigSnapshot).files] };
}

describe('reading a commit again, reusing an earlier read by object id', () => {
  it('asks git only for the trees and blob a one-file change touched', async () => {
    const repo = await gitRepo(fleetOf(50));
    const source = await openSource(repo.dir);
    const base = await readAtCommit(source, 'HEAD');
    expect(base.files.size).toBe(151);
    await repo.commit({ [`${m07}/state.yaml`]: 'state: {changed: {}}\n' });
    const { snapshot, commands } = await readWithWrapper(source, 'HEAD', undefined, { reuse: base });
    expect(requests(commands)).toEqual(
      await requestsFor(repo.dir, 'HEAD', {
        trees: ['', 'machines', m07],
        sized: [`${m07}/state.yaml`],
        read: [`${m07}/state.yaml`],
      }),
    );
    const fresh = await readAtCommit(source, 'HEAD');
    expect(outcome(snapshot)).toEqual(outcome(fresh));
    expect([...(snapshot as ConfigSnapshot).files]).toEqual(await lsTreeFiles(repo.dir, 'HEAD'));
    expect((snapshot as ConfigSnapshot).files.get(`${m07}/state.yaml`)).toBe('state: {changed: {}}\n');
  });

  it('asks for nothing but the commit (and the root tree) when no config file changed', async () => {
    const repo = await gitRepo(fleetOf(5));
    const source = await openSource(repo.dir);
    const base = await readAtCommit(source, 'HEAD');
    const same = await readWithWrapper(source, 'HEAD', undefined, { reuse: base });
    expect(requests(same.commands)).toEqual(['contents HEAD^{commit}']);
    expect(outcome(same.snapshot)).toEqual(outcome(base));
    await repo.commit({ 'README.md': 'other docs\n' });
    const docs = await readWithWrapper(source, 'HEAD', undefined, { reuse: base });
    expect(requests(docs.commands)).toEqual(await requestsFor(repo.dir, 'HEAD', { trees: [''] }));
    expect(outcome(docs.snapshot)).toEqual(outcome(base));
  });

  const link = async (repo: TestRepo, path: string, target: string) => {
    await rm(join(repo.dir, path));
    await symlink(target, join(repo.dir, path));
  };
  // the link's target is the file's contents: the same blob, at the same path, in another mode
  const toLink = async (repo: TestRepo) => {
    await link(repo, `${m07}/borgbackup.ssh.pub`, 'ssh-ed25519 AAAA m07');
    return repo.commit({});
  };
  const oversize = (repo: TestRepo) =>
    repo.commit({ [`${m07}/state.json`]: 'x'.repeat(MAX_CONFIG_FILE_BYTES + 1) });
  const submodule = async (repo: TestRepo) => {
    const commit = (await git(repo.dir, ['rev-parse', 'HEAD'])).stdout.trim();
    await git(repo.dir, ['update-index', '--add', '--cacheinfo', `160000,${commit},machines/m50`]);
    await git(repo.dir, ['commit', '-qm', 'submodule']);
  };
  const cases: {
    name: string;
    change(repo: TestRepo): Promise<unknown>;
    asked: { trees?: string[]; sized?: string[]; read?: string[] };
  }[] = [
    {
      name: 'a file added, in a directory that is new',
      change: (repo) => repo.commit({ [`${m07}/secrets/e.key.age`]: 'key\n', 'inventory.yaml': 'x: 1\n' }),
      asked: {
        trees: ['', 'machines', m07, `${m07}/secrets`],
        sized: [`${m07}/secrets/e.key.age`, 'inventory.yaml'],
        read: [`${m07}/secrets/e.key.age`, 'inventory.yaml'],
      },
    },
    {
      name: 'a file removed',
      change: (repo) => repo.commit({ [`${m07}/borgbackup.ssh.pub`]: null }),
      asked: { trees: ['', 'machines', m07] },
    },
    {
      // the same tree at another path is read there, never taken for the path it had
      name: 'a machine renamed (its tree unchanged, at a path that sorts last)',
      change: async (repo) => {
        await git(repo.dir, ['mv', m07, 'machines/zz']);
        return repo.commit({});
      },
      asked: {
        trees: ['', 'machines', 'machines/zz', 'machines/zz/secrets'],
        sized: [
          'machines/zz/state.yaml',
          'machines/zz/borgbackup.ssh.pub',
          'machines/zz/secrets/d.passphrase.age',
        ],
        read: [
          'machines/zz/state.yaml',
          'machines/zz/borgbackup.ssh.pub',
          'machines/zz/secrets/d.passphrase.age',
        ],
      },
    },
    {
      name: 'a file turned into a link to what it held',
      change: toLink,
      asked: { trees: ['', 'machines', m07] },
    },
    {
      name: 'a file over the size limit added',
      change: oversize,
      asked: { trees: ['', 'machines', m07], sized: [`${m07}/state.json`] },
    },
    { name: 'a submodule added as a machine', change: submodule, asked: { trees: ['', 'machines'] } },
  ];

  it.each(cases)('reads as without reuse, asking only for what changed: $name', async ({ change, asked }) => {
    const repo = await gitRepo(fleetOf(20));
    const source = await openSource(repo.dir);
    const base = await readAtCommit(source, 'HEAD');
    await change(repo);
    const { snapshot, commands } = await readWithWrapper(source, 'HEAD', undefined, { reuse: base });
    expect(requests(commands)).toEqual(await requestsFor(repo.dir, 'HEAD', asked));
    const fresh = await readAtCommit(source, 'HEAD').catch((error: unknown) => error);
    expect(outcome(snapshot)).toEqual(outcome(fresh));
    if (!(fresh instanceof Error)) expect(outcome(fresh).files).toEqual(await lsTreeFiles(repo.dir, 'HEAD'));
  });

  it('refuses a link, a submodule and a file too large as a read without reuse does', async () => {
    const repo = await gitRepo(fleetOf(20));
    const source = await openSource(repo.dir);
    const base = await readAtCommit(source, 'HEAD');
    for (const change of [toLink, oversize, submodule]) await change(repo);
    const key = `${m07}/borgbackup.ssh.pub`;
    const blobAt = async (commit: string) => (await git(repo.dir, ['rev-parse', `${commit}:${key}`])).stdout;
    expect(await blobAt('HEAD')).toBe(await blobAt(base.commit!));
    const { snapshot: error } = await readWithWrapper(source, 'HEAD', undefined, { reuse: base });
    expect(isBorgopsError(error, 'E_CONFIG') && error.details).toEqual([
      `${key}: is a symbolic link; borgops reads config files from git objects and does not follow links (commit the file itself)`,
      `${m07}/state.json: too large (${MAX_CONFIG_FILE_BYTES + 1} bytes; a config file may have at most ${MAX_CONFIG_FILE_BYTES})`,
      'machines/m50: is a git submodule; borgops reads only files committed in the config repository itself',
    ]);
  });

  it('reuses what an earlier read reused, read after read', async () => {
    const repo = await gitRepo(fleetOf(20));
    const source = await openSource(repo.dir);
    const first = await readAtCommit(source, 'HEAD');
    await repo.commit({ [`${m07}/state.yaml`]: 'state: {second: {}}\n' });
    const second = await readAtCommit(source, 'HEAD', { reuse: first });
    await repo.commit({ 'machines/m08/state.yaml': 'state: {third: {}}\n' });
    const { snapshot, commands } = await readWithWrapper(source, 'HEAD', undefined, { reuse: second });
    expect(requests(commands)).toEqual(
      await requestsFor(repo.dir, 'HEAD', {
        trees: ['', 'machines', 'machines/m08'],
        sized: ['machines/m08/state.yaml'],
        read: ['machines/m08/state.yaml'],
      }),
    );
    expect(outcome(snapshot)).toEqual(outcome(await readAtCommit(source, 'HEAD')));
  });

  it('reuses across config prefixes: paths are relative to the config directory in both reads', async () => {
    const files = Object.entries(fleetOf(20)).flatMap(([path, text]) => [
      [`a/${path}`, text],
      [`b/${path}`, text],
    ]);
    const repo = await gitRepo(Object.fromEntries(files));
    const [a, b] = [await openSource(join(repo.dir, 'a')), await openSource(join(repo.dir, 'b'))];
    const base = await readAtCommit(a, 'HEAD');
    await repo.commit({ [`b/${m07}/state.yaml`]: 'state: {b: {}}\n' });
    const { snapshot, commands } = await readWithWrapper(b, 'HEAD', undefined, { reuse: base });
    const root = (await git(repo.dir, ['rev-parse', 'HEAD^{tree}'])).stdout.trim();
    expect(requests(commands)).toEqual(
      [
        `contents ${root}`,
        ...(await requestsFor(
          repo.dir,
          'HEAD',
          { trees: ['', 'machines', m07], sized: [`${m07}/state.yaml`], read: [`${m07}/state.yaml`] },
          'b/',
        )),
      ].sort(),
    );
    expect(outcome(snapshot)).toEqual(outcome(await readAtCommit(b, 'HEAD')));
    expect(outcome(snapshot).files).toEqual(await lsTreeFiles(repo.dir, 'HEAD', 'b/'));
  });

  it('reuses nothing of another repository with other contents at the same paths', async () => {
    const ours = await gitRepo(fleetOf(20));
    const theirs = await gitRepo(
      Object.fromEntries(Object.entries(fleetOf(20)).map(([path, text]) => [path, `${text}# theirs\n`])),
    );
    const base = await readAtCommit(await openSource(ours.dir), 'HEAD');
    const source = await openSource(theirs.dir);
    const reused = await readWithWrapper(source, 'HEAD', undefined, { reuse: base });
    const fresh = await readWithWrapper(source, 'HEAD');
    expect(requests(reused.commands)).toEqual(requests(fresh.commands));
    expect(requests(reused.commands)).toHaveLength(1 + 42 + 61 * 2);
    expect(outcome(reused.snapshot)).toEqual(outcome(fresh.snapshot));
    // the same objects in another repository are the same files: git names objects by their contents
    const copy = await gitRepo(fleetOf(20));
    const same = await readWithWrapper(await openSource(copy.dir), 'HEAD', undefined, { reuse: base });
    expect(requests(same.commands)).toEqual(await requestsFor(copy.dir, 'HEAD', {}));
    expect(outcome(same.snapshot)).toEqual(outcome(base));
  });

  it.skipIf(!canSha256)('reuses nothing across object formats (SHA-256 and SHA-1)', async () => {
    const sha256 = await tempDir();
    await git(sha256, ['init', '-q', '-b', 'main', '--object-format=sha256']);
    await commitAll(sha256, Object.entries(fleetOf(20)));
    const sha1 = await tempDir();
    await git(sha1, ['init', '-q', '-b', 'main']);
    await commitAll(sha1, Object.entries(fleetOf(20)));
    for (const [from, to] of [
      [sha256, sha1],
      [sha1, sha256],
    ] as const) {
      const earlier = await readAtCommit(await openSource(from), 'HEAD');
      const source = await openSource(to);
      const reused = await readWithWrapper(source, 'HEAD', undefined, { reuse: earlier });
      const fresh = await readWithWrapper(source, 'HEAD');
      expect(requests(reused.commands)).toEqual(requests(fresh.commands));
      expect(outcome(reused.snapshot)).toEqual(outcome(fresh.snapshot));
      expect(outcome(reused.snapshot)).toEqual(outcome(earlier));
    }
  });

  it('keeps what it reuses out of the snapshot: keys, JSON and equality are those of a fresh read', async () => {
    const repo = await gitRepo(fleetOf(3));
    const source = await openSource(repo.dir);
    const base = await readAtCommit(source, 'HEAD');
    const again = await readAtCommit(source, 'HEAD', { reuse: base });
    expect(Object.keys(base)).toEqual(['commit', 'worktree', 'files']);
    expect(Object.keys(again)).toEqual(['commit', 'worktree', 'files']);
    expect(again).toStrictEqual({ commit: base.commit, worktree: false, files: new Map(base.files) });
    expect(JSON.stringify(again)).toBe(JSON.stringify(base));
  });

  it('reuses only a snapshot readAtCommit returned: a failed read gives none, a copy carries nothing', async () => {
    const repo = await gitRepo(fleetOf(5));
    const source = await openSource(repo.dir);
    const good = await readAtCommit(source, 'HEAD');
    await link(repo, 'machines/m01/state.yaml', 'elsewhere');
    await repo.commit({});
    await expect(readAtCommit(source, 'HEAD')).rejects.toMatchObject({ code: 'E_CONFIG' });
    await git(repo.dir, ['reset', '-q', '--hard', 'HEAD~1']);
    await repo.commit({ 'machines/m02/state.yaml': 'state: {changed: {}}\n' });
    const fresh = await readWithWrapper(source, 'HEAD');
    for (const copy of [{ ...good }, { commit: good.commit, worktree: false, files: good.files }]) {
      const reused = await readWithWrapper(source, 'HEAD', undefined, { reuse: copy });
      expect(requests(reused.commands)).toEqual(requests(fresh.commands));
      expect(outcome(reused.snapshot)).toEqual(outcome(fresh.snapshot));
    }
  });

  it('fails with E_GIT when git dies mid-read, and the earlier read stays reusable', async () => {
    const repo = await gitRepo(fleetOf(20));
    const source = await openSource(repo.dir);
    const base = await readAtCommit(source, 'HEAD');
    const commit = await repo.commit({ [`${m07}/state.yaml`]: 'state: {changed: {}}\n' });
    // git answers the commit and the root tree; asked for `machines`, it is gone with a complaint
    const dies = [
      '  {',
      '    for i in 1 2 3 4; do IFS= read -r line; printf "%s\\n" "$line"; done',
      '    IFS= read -r line; echo "fatal: simulated failure" >&2',
      '  } | "$real" "$@"; exit 128',
    ].join('\n');
    const { snapshot: error } = await readWithWrapper(source, 'HEAD', dies, { reuse: base });
    expect(isBorgopsError(error, 'E_GIT')).toBe(true);
    expect((error as Error).message).toBe(
      `cannot read ${repo.dir} at ${commit.slice(0, 12)}: git cat-file failed (fatal: simulated failure)`,
    );
    const { snapshot, commands } = await readWithWrapper(source, 'HEAD', undefined, { reuse: base });
    expect(requests(commands)).toHaveLength(6);
    expect(outcome(snapshot)).toEqual(outcome(await readAtCommit(source, 'HEAD')));
  });
});

/** Whether this git can create a SHA-256 repository (`git init --object-format=sha256`, git 2.29+). */
async function supportsSha256(): Promise<boolean> {
  const probe = await mkdtemp(join(tmpdir(), 'borgops-sha256-probe-'));
  try {
    return !(await execa(realGit, ['init', '-q', '--object-format=sha256', probe], { reject: false })).failed;
  } finally {
    await rm(probe, { recursive: true, force: true });
  }
}
