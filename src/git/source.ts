import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { SimpleGit } from 'simple-git';
import { isConfigPath } from '../config/files.js';
import { BorgopsError, errorMessage } from '../errors.js';
import { orAbsent } from '../host/fs-error.js';
import { askable, CatFile } from './cat-file.js';
import { configTree, configTreeError, type Dir, fileProblem, readConfigTree } from './config-tree.js';

export { MAX_CONFIG_FILE_BYTES } from './config-tree.js';

/** A local config repository, bare or not, possibly a subdirectory of a larger repository. */
export interface GitSource {
  dir: string;
  /** simple-git on the source, loaded when first asked for: most commands never need it. */
  git(): Promise<SimpleGit>;
  bare: boolean;
  /** The subdirectory of the repository the config lives in ('' or 'sub/dir/'). */
  prefix: string;
}

export interface ConfigSnapshot {
  /** The commit read; for a worktree read, the HEAD commit the worktree is based on (if any). */
  commit?: string;
  worktree: boolean;
  files: Map<string, string>;
}

/** The environment git runs with: the caller's GIT_DIR, pager or editor must never leak in. */
export function gitEnv(): Record<string, string> {
  const env: Record<string, string> = { LC_ALL: 'C' };
  for (const key of ['PATH', 'HOME', 'SSH_AUTH_SOCK', 'TMPDIR']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}

/**
 * A source whose simple-git handle is made when first used: reading a commit needs none. The
 * module itself is imported then too, so a command that never asks for it does not initialise it
 * at start (in the bundle a module reached only by import() runs its top level on first import).
 */
function sourceAt(dir: string, bare: boolean, prefix: string): GitSource {
  let git: SimpleGit | undefined;
  return {
    dir,
    bare,
    prefix,
    async git() {
      if (git === undefined) {
        const { simpleGit } = await import('simple-git');
        git = simpleGit({ baseDir: dir }).env(gitEnv());
      }
      return git;
    },
  };
}

/**
 * `git rev-parse --is-bare-repository --show-prefix` with a plain execFile: simple-git's task queue
 * made this one command of every CLI run take several milliseconds longer. A failure's message is
 * what git printed, as simple-git gave it.
 */
function revParse(dir: string): Promise<string> {
  return new Promise((resolveOutput, reject) => {
    execFile(
      'git',
      ['rev-parse', '--is-bare-repository', '--show-prefix'],
      { cwd: dir, env: gitEnv(), encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error === null) resolveOutput(stdout);
        else reject(new Error(`${stdout}${stderr}`.trim() || error.message, { cause: error }));
      },
    );
  });
}

/**
 * Opens a config source. With `worktree` (the `--worktree` read), a plain directory that is not
 * a git repository is accepted too: a first draft needs no git.
 */
export async function openSource(dir: string, options: { worktree?: boolean } = {}): Promise<GitSource> {
  const absolute = resolve(dir);
  const info = await orAbsent(stat(absolute), 'read the config source', absolute);
  if (!info?.isDirectory()) {
    throw new BorgopsError('E_GIT', `config source ${absolute} does not exist or is not a directory`);
  }
  let bare: boolean;
  let prefix: string;
  try {
    const [isBare, showPrefix] = (await revParse(absolute)).split('\n');
    bare = isBare === 'true';
    prefix = bare ? '' : (showPrefix ?? '');
  } catch (error: unknown) {
    const notRepository = /not a git repository/i.test(errorMessage(error));
    if (notRepository && options.worktree === true) return sourceAt(absolute, false, '');
    const reason = notRepository
      ? 'is not a git repository (to read the files in it as they are, add --worktree)'
      : `cannot be read by git: ${errorMessage(error).trim()}`;
    throw new BorgopsError('E_GIT', `config source ${absolute} ${reason}`, { cause: error });
  }
  return sourceAt(absolute, bare, prefix);
}

/** A ref that starts like an option is a usage error, never handed to git. */
function checkRef(ref: string): void {
  if (ref.startsWith('-')) throw new BorgopsError('E_USAGE', `invalid ref "${ref}"`);
}

/** A ref git does not know; `empty` when the repository has no commit at all (HEAD names nothing). */
function unknownRef(ref: string, source: GitSource, empty: boolean): BorgopsError {
  const hint = empty
    ? ' (the repository has no commits yet: commit, or read the working tree with --worktree)'
    : '';
  return new BorgopsError('E_GIT', `unknown ref "${ref}" in ${source.dir}${hint}`);
}

export async function resolveCommit(source: GitSource, ref: string): Promise<string> {
  checkRef(ref);
  const git = await source.git();
  // simple-git does not reject a failing command that printed nothing, so an empty answer is the failure
  const verify = (rev: string) =>
    git
      .raw(['rev-parse', '--verify', '--quiet', '--end-of-options', rev])
      .then((out) => out.trim())
      .catch(() => '');
  const commit = await verify(`${ref}^{commit}`);
  if (/^[0-9a-f]{40,64}$/.test(commit)) return commit;
  throw unknownRef(ref, source, (await verify('HEAD')) === '');
}

/** What a successful read of a commit walked, kept for a later read to reuse (see readAtCommit). */
interface ReadIndex {
  /** 20 (SHA-1) or 32 (SHA-256): ids of one object format never name an object of the other. */
  idBytes: number;
  top: Dir;
}

/**
 * Each snapshot's index, out of the snapshot itself: invisible to JSON, `Object.keys`, spreads and
 * deep equality, and held only for snapshots readAtCommit returned, so never for a read that failed.
 */
const readIndexes = new WeakMap<ConfigSnapshot, ReadIndex>();

const commitId = /^[0-9a-f]{40}$|^[0-9a-f]{64}$/;

/**
 * The config files at a commit, read from the object database (the working tree is never looked
 * at) by one `git cat-file --batch-command` process: it resolves the ref once, and everything
 * else is read by object id from that commit, so a ref that moves meanwhile cannot mix two commits.
 *
 * With `reuse` (a snapshot an earlier readAtCommit returned, of any source), the directories and
 * files whose path and object id are unchanged since it are taken from it, not read again: a
 * preview's head, read after its base, asks git only for what the change touched. Paths are
 * relative to the config directory in both reads, so a different prefix changes nothing; the
 * files are the same, in the same order, as without `reuse`.
 */
export async function readAtCommit(
  source: GitSource,
  ref: string,
  options: { reuse?: ConfigSnapshot } = {},
): Promise<ConfigSnapshot> {
  checkRef(ref);
  const git = new CatFile({ cwd: source.dir, env: gitEnv(), what: source.dir, label: JSON.stringify(ref) });
  try {
    const [resolved] = askable(ref) ? await git.batch('contents', [`${ref}^{commit}`]) : [];
    if (resolved === undefined) {
      // as resolveCommit: a HEAD that names nothing means a repository without commits
      const [head] = await git.batch('info', ['HEAD']);
      throw unknownRef(ref, source, head === undefined);
    }
    const commit = resolved.oid;
    git.label = commit.slice(0, 12);
    // a commit object starts with "tree <id>"; ids are 20 bytes (SHA-1) or 32 (SHA-256)
    const rootTree = /^tree ([0-9a-f]+)\n/.exec(resolved.data?.toString('latin1', 0, 80) ?? '')?.[1];
    if (resolved.type !== 'commit' || !commitId.test(commit) || rootTree?.length !== commit.length)
      throw git.unexpected('not a commit');
    const idBytes = commit.length / 2;
    const tree = await configTree(git, rootTree, source.prefix, idBytes);
    if (tree === undefined) return { commit, worktree: false, files: new Map<string, string>() };
    const earlier = options.reuse === undefined ? undefined : readIndexes.get(options.reuse);
    const { files, top } = await readConfigTree(
      git,
      tree,
      idBytes,
      earlier?.idBytes === idBytes ? earlier.top : undefined,
    );
    const snapshot: ConfigSnapshot = { commit, worktree: false, files };
    readIndexes.set(snapshot, { idBytes, top });
    return snapshot;
  } finally {
    git.end();
  }
}

async function walk(
  root: string,
  relative: string,
  depth: number,
  out: string[],
  problems: string[],
): Promise<void> {
  const dir = join(root, relative);
  const entries = (await orAbsent(readdir(dir, { withFileTypes: true }), 'list', dir)) ?? [];
  for (const entry of entries) {
    const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory() && depth > 0 && entry.name !== '.git')
      await walk(root, path, depth - 1, out, problems);
    else if ((entry.isFile() || entry.isSymbolicLink()) && isConfigPath(path)) {
      const link = entry.isSymbolicLink();
      const problem = fileProblem(path, link, link ? 0 : (await stat(join(root, path))).size);
      if (problem === undefined) out.push(path);
      else problems.push(problem);
    }
  }
}

/** The config files as they are on disk (`--worktree`), uncommitted edits included. */
export async function readWorktree(source: GitSource): Promise<ConfigSnapshot> {
  if (source.bare)
    throw new BorgopsError(
      'E_USAGE',
      `--worktree needs a repository with a working tree; ${source.dir} is bare`,
    );
  const paths: string[] = [];
  const problems: string[] = [];
  await walk(source.dir, '', 3, paths, problems);
  if (problems.length > 0) throw configTreeError(problems.sort());
  const files = new Map<string, string>();
  for (const path of paths.sort()) files.set(path, await readFile(join(source.dir, path), 'utf8'));
  const git = await source.git();
  const head = await git.raw(['rev-parse', '--verify', '--quiet', 'HEAD']).catch(() => '');
  return { ...(head.trim() === '' ? {} : { commit: head.trim() }), worktree: true, files };
}
