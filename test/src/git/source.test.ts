import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { simpleGit } from 'simple-git';
import { describe, expect, it } from 'vitest';
import { isBorgopsError } from '../../../src/errors.js';
import { MAX_CONFIG_FILE_BYTES, openSource, readAtCommit, readWorktree } from '../../../src/git/source.js';
import { gitRepo } from '../../helpers/git.js';
import { tempDir } from '../../helpers/temp.js';

const inventory = (repo: string) =>
  JSON.stringify({
    instances: {
      b: {
        module: { name: 'borgbackup' },
        roles: { client: { machines: { jon: { settings: { destinations: { d: { repo } } } } } } },
      },
    },
  });

describe('reading declarations from git', () => {
  it('reads the files of a commit, including at an older ref after later commits', async () => {
    const repo = await gitRepo();
    const first = await repo.commit({ 'inventory.json': inventory('/srv/one'), 'README.md': 'ignored' });
    await repo.commit({ 'inventory.json': inventory('/srv/two'), 'machines/jon/state.yaml': 'state: {}\n' });
    const source = await openSource(repo.dir);

    const old = await readAtCommit(source, first);
    expect(old.commit).toBe(first);
    expect([...old.files.keys()]).toEqual(['inventory.json']);
    expect(old.files.get('inventory.json')).toContain('/srv/one');

    const head = await readAtCommit(source, 'HEAD');
    expect([...head.files.keys()].sort()).toEqual(['inventory.json', 'machines/jon/state.yaml']);
    expect(head.files.get('inventory.json')).toContain('/srv/two');

    const previous = await readAtCommit(source, 'HEAD~1');
    expect(previous.commit).toBe(first);
  });

  it('ignores uncommitted edits unless the worktree is asked for', async () => {
    const repo = await gitRepo({ 'inventory.json': inventory('/srv/committed') });
    await repo.write({
      'inventory.json': inventory('/srv/edited'),
      'machines/jon/state.json': '{"state":{}}',
    });
    const source = await openSource(repo.dir);

    const committed = await readAtCommit(source, 'HEAD');
    expect(committed.files.get('inventory.json')).toContain('/srv/committed');
    expect(committed.files.has('machines/jon/state.json')).toBe(false);

    const worktree = await readWorktree(source);
    expect(worktree.worktree).toBe(true);
    expect(worktree.files.get('inventory.json')).toContain('/srv/edited');
    expect(worktree.files.has('machines/jon/state.json')).toBe(true);
  });

  it('reads a bare repository', async () => {
    const repo = await gitRepo({ 'inventory.json': inventory('/srv/bare') });
    const bare = join(await tempDir(), 'config.git');
    await simpleGit().clone(repo.dir, bare, ['--bare']);
    const source = await openSource(bare);
    expect(source.bare).toBe(true);
    const snapshot = await readAtCommit(source, 'main');
    expect(snapshot.files.get('inventory.json')).toContain('/srv/bare');
    await expect(readWorktree(source)).rejects.toThrow(/bare/);
  });

  it('reads a config kept in a subdirectory of a larger repository', async () => {
    const repo = await gitRepo({
      'backups/inventory.json': inventory('/srv/sub'),
      'inventory.json': inventory('/srv/top'),
    });
    const source = await openSource(join(repo.dir, 'backups'));
    const snapshot = await readAtCommit(source, 'HEAD');
    expect(snapshot.files.get('inventory.json')).toContain('/srv/sub');
  });

  it('reads many files with one git process and keeps multi-byte text intact', async () => {
    const files: Record<string, string> = { 'inventory.json': inventory('/srv/x') };
    for (let i = 0; i < 200; i++) files[`machines/m${i}/state.yaml`] = `# Größe ${i} ✓\nstate: {}\n`;
    const repo = await gitRepo(files);
    const snapshot = await readAtCommit(await openSource(repo.dir), 'HEAD');
    expect(snapshot.files.size).toBe(201);
    expect(snapshot.files.get('machines/m199/state.yaml')).toBe('# Größe 199 ✓\nstate: {}\n');
  });

  it.each([
    [
      'a directory that is not a repository',
      async () => (await tempDir()) as string,
      /is not a git repository/,
    ],
    ['a path that does not exist', async () => '/nonexistent/borgops', /does not exist/],
  ])('refuses %s', async (_name, dir, message) => {
    const error = await openSource(await dir()).catch((e: unknown) => e);
    expect(isBorgopsError(error, 'E_GIT')).toBe(true);
    expect(String((error as Error).message)).toMatch(message);
  });

  it('names an unknown ref and an empty repository', async () => {
    const repo = await gitRepo({ 'inventory.json': '{}' });
    await expect(readAtCommit(await openSource(repo.dir), 'nope')).rejects.toThrow(
      `unknown ref "nope" in ${repo.dir}`,
    );
    const empty = await tempDir();
    await mkdir(join(empty, 'x'));
    await simpleGit(empty).init();
    await expect(readAtCommit(await openSource(empty), 'HEAD')).rejects.toThrow(/has no commits yet/);
  });
});

describe('config files git cannot give as plain files', () => {
  it('names a symlinked state file and a submodule instead of misreading or skipping them', async () => {
    const repo = await gitRepo();
    await repo.commit({ 'inventory.json': inventory('/srv/one'), 'shared/state.json': '{"state": {}}' });
    await mkdir(join(repo.dir, 'machines/jon'), { recursive: true });
    await symlink('../../shared/state.json', join(repo.dir, 'machines/jon/state.json'));
    const sub = await gitRepo();
    await sub.commit({ 'state.json': '{"state": {}}' });
    const git = (args: string[]) => execa('git', args, { cwd: repo.dir });
    await git(['-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', sub.dir, 'machines/sara']);
    await git(['add', '.']);
    await git(['commit', '-qm', 'link and submodule']);
    const source = await openSource(repo.dir);
    const error = await readAtCommit(source, 'HEAD').catch((e: unknown) => e);
    expect(isBorgopsError(error) && error.code).toBe('E_CONFIG');
    expect(isBorgopsError(error) && error.details).toEqual([
      'machines/jon/state.json: is a symbolic link; borgops reads config files from git objects and does not follow links (commit the file itself)',
      'machines/sara: is a git submodule; borgops reads only files committed in the config repository itself',
    ]);
    const worktree = await readWorktree(source).catch((e: unknown) => e);
    expect(worktree).toMatchObject({
      shortMessage:
        'machines/jon/state.json: is a symbolic link; borgops reads config files from git objects and does not follow links (commit the file itself)',
    });
  });

  it('refuses a file over the size limit by name, without printing any file', async () => {
    const repo = await gitRepo();
    const big = `{"state": {"x": {"folders": ["/${'a'.repeat(MAX_CONFIG_FILE_BYTES)}"]}}}`;
    await repo.commit({ 'inventory.json': inventory('/srv/one'), 'machines/jon/state.json': big });
    const error = await readAtCommit(await openSource(repo.dir), 'HEAD').catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'E_CONFIG',
      shortMessage: `machines/jon/state.json: too large (${big.length} bytes; a config file may have at most ${MAX_CONFIG_FILE_BYTES})`,
    });
  });
});
