import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { classify, isConfigPath, mayHoldConfigFiles } from '../../../src/config/files.js';
import { isBorgopsError } from '../../../src/errors.js';
import { type GitSource, openSource, readAtCommit } from '../../../src/git/source.js';
import { gitRepo } from '../../helpers/git.js';
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
    options.catFile ?? '  tee -a "$commands" | "$real" "$@"; exit $?',
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

async function readWithWrapper(source: GitSource, ref: string, catFile?: string) {
  const wrapper = await wrapGit(catFile === undefined ? {} : { catFile });
  const snapshot = await readAtCommit(source, ref).catch((error: unknown) => error);
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

/** Whether this git can create a SHA-256 repository (`git init --object-format=sha256`, git 2.29+). */
async function supportsSha256(): Promise<boolean> {
  const probe = await mkdtemp(join(tmpdir(), 'borgops-sha256-probe-'));
  try {
    return !(await execa(realGit, ['init', '-q', '--object-format=sha256', probe], { reject: false })).failed;
  } finally {
    await rm(probe, { recursive: true, force: true });
  }
}
