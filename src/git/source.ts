import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { type SimpleGit, simpleGit } from 'simple-git';
import { isConfigPath } from '../config/files.js';
import { BorgopsError, errorMessage } from '../errors.js';
import { orAbsent } from '../host/fs-error.js';

/** A local config repository, bare or not, possibly a subdirectory of a larger repository. */
export interface GitSource {
  dir: string;
  git: SimpleGit;
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

function gitFor(dir: string): SimpleGit {
  return simpleGit({ baseDir: dir }).env(gitEnv());
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
  const git = gitFor(absolute);
  let bare: boolean;
  let prefix: string;
  try {
    const [isBare, showPrefix] = (
      await git.raw(['rev-parse', '--is-bare-repository', '--show-prefix'])
    ).split('\n');
    bare = isBare === 'true';
    prefix = bare ? '' : (showPrefix ?? '');
  } catch (error: unknown) {
    const notRepository = /not a git repository/i.test(errorMessage(error));
    if (notRepository && options.worktree === true) return { dir: absolute, git, bare: false, prefix: '' };
    const reason = notRepository
      ? 'is not a git repository (to read the files in it as they are, add --worktree)'
      : `cannot be read by git: ${errorMessage(error).trim()}`;
    throw new BorgopsError('E_GIT', `config source ${absolute} ${reason}`, { cause: error });
  }
  return { dir: absolute, git, bare, prefix };
}

export async function resolveCommit(source: GitSource, ref: string): Promise<string> {
  if (ref.startsWith('-')) throw new BorgopsError('E_USAGE', `invalid ref "${ref}"`);
  // simple-git does not reject a failing command that printed nothing, so an empty answer is the failure
  const verify = (rev: string) =>
    source.git
      .raw(['rev-parse', '--verify', '--quiet', '--end-of-options', rev])
      .then((out) => out.trim())
      .catch(() => '');
  const commit = await verify(`${ref}^{commit}`);
  if (/^[0-9a-f]{40,64}$/.test(commit)) return commit;
  const hint =
    (await verify('HEAD')) === ''
      ? ' (the repository has no commits yet: commit, or read the working tree with --worktree)'
      : '';
  throw new BorgopsError('E_GIT', `unknown ref "${ref}" in ${source.dir}${hint}`);
}

/** The largest config file borgops reads (a state file of thousands of folders is well below). */
export const MAX_CONFIG_FILE_BYTES = 8 * 1024 * 1024;

interface ConfigBlobs {
  /** Path relative to the config directory → blob id. */
  blobs: Map<string, string>;
  bytes: number;
}

/** Why a tree entry cannot be a config file borgops reads, when it looks like one. */
function entryProblem(mode: string, type: string, relative: string, size: number): string | undefined {
  if (
    type === 'commit' &&
    (relative === 'machines' || /^machines\/[^/]+$/.test(relative) || isConfigPath(relative))
  )
    return `${relative}: is a git submodule; borgops reads only files committed in the config repository itself`;
  if (!isConfigPath(relative)) return undefined;
  return fileProblem(relative, mode === '120000', size);
}

/** Why a config file, in a commit or the working tree, is not read: a link, or too large. */
function fileProblem(relative: string, link: boolean, size: number): string | undefined {
  if (link)
    return `${relative}: is a symbolic link; borgops reads config files from git objects and does not follow links (commit the file itself)`;
  if (size > MAX_CONFIG_FILE_BYTES)
    return `${relative}: too large (${size} bytes; a config file may have at most ${MAX_CONFIG_FILE_BYTES})`;
  return undefined;
}

/** Config files of a commit; links, submodules and oversized files are refused by name. */
async function listConfigBlobs(source: GitSource, commit: string): Promise<ConfigBlobs> {
  const args = ['ls-tree', '-r', '-z', '-l', '--full-tree', commit];
  if (source.prefix !== '') args.push('--', source.prefix);
  const output = await source.git.raw(args);
  const blobs = new Map<string, string>();
  const problems: string[] = [];
  let bytes = 0;
  // each entry is "<mode> <type> <object> <size>\t<path>" (size "-" for submodules)
  for (const entry of output.split('\0')) {
    const tab = entry.indexOf('\t');
    if (tab === -1) continue;
    const [mode = '', type = '', object, size = ''] = entry.slice(0, tab).split(/ +/);
    const path = entry.slice(tab + 1);
    if (object === undefined || !path.startsWith(source.prefix)) continue;
    const relative = path.slice(source.prefix.length);
    const problem = entryProblem(mode, type, relative, Number(size) || 0);
    if (problem !== undefined) problems.push(problem);
    else if (type === 'blob' && isConfigPath(relative)) {
      blobs.set(relative, object);
      bytes += Number(size) || 0;
    }
  }
  if (problems.length > 0) throw configTreeError(problems);
  return { blobs, bytes };
}

function configTreeError(problems: readonly string[]): BorgopsError {
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return new BorgopsError('E_CONFIG', `${problems[0]}${more}`, { details: [...problems] });
}

/**
 * Reads blobs by object id with one `git cat-file --batch` process (simple-git cannot feed
 * stdin), so a thousand machines cost one process, not a thousand. Object ids, not
 * `<commit>:<path>`: git then looks up each object directly instead of walking the tree again.
 */
async function readBlobs(
  source: GitSource,
  commit: string,
  listed: ConfigBlobs,
): Promise<Map<string, string>> {
  const { blobs } = listed;
  const files = new Map<string, string>();
  if (blobs.size === 0) return files;
  const input = [...blobs.values()].map((object) => `${object}\n`).join('');
  const result = await execa('git', ['cat-file', '--batch'], {
    cwd: source.dir,
    input,
    encoding: 'buffer',
    stripFinalNewline: false,
    env: gitEnv(),
    extendEnv: false,
    reject: false,
    // the sizes are known: contents plus one header line per blob
    maxBuffer: listed.bytes + blobs.size * 128 + 1024,
  });
  if (result.failed) {
    // never the output in a message: it is the config files themselves
    const stderr = Buffer.from(result.stderr).toString('utf8').split('\n')[0] ?? '';
    const why = result.isMaxBuffer
      ? 'its output was larger than the listed sizes'
      : stderr || `exit code ${result.exitCode}`;
    throw new BorgopsError(
      'E_GIT',
      `cannot read the config files at ${commit.slice(0, 12)}: git cat-file failed (${why})`,
    );
  }
  const buffer = Buffer.from(result.stdout);
  let offset = 0;
  for (const path of blobs.keys()) {
    const headerEnd = buffer.indexOf(10, offset);
    const header = buffer.subarray(offset, headerEnd).toString('utf8');
    const [, type, size] = header.split(' ');
    if (type !== 'blob' || size === undefined) {
      throw new BorgopsError('E_GIT', `cannot read ${path} at ${commit.slice(0, 12)}: ${header}`);
    }
    const start = headerEnd + 1;
    const end = start + Number(size);
    files.set(path, buffer.subarray(start, end).toString('utf8'));
    offset = end + 1;
  }
  return files;
}

/** The config files at a commit, read from the object database (the working tree is never looked at). */
export async function readAtCommit(source: GitSource, ref: string): Promise<ConfigSnapshot> {
  const commit = await resolveCommit(source, ref);
  try {
    const blobs = await listConfigBlobs(source, commit);
    return { commit, worktree: false, files: await readBlobs(source, commit, blobs) };
  } catch (error: unknown) {
    if (error instanceof BorgopsError) throw error;
    throw new BorgopsError(
      'E_GIT',
      `cannot read ${source.dir} at ${commit.slice(0, 12)}: ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
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
  const head = await source.git.raw(['rev-parse', '--verify', '--quiet', 'HEAD']).catch(() => '');
  return { ...(head.trim() === '' ? {} : { commit: head.trim() }), worktree: true, files };
}
