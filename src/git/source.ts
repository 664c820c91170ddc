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

export async function openSource(dir: string): Promise<GitSource> {
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
    const reason = /not a git repository/i.test(errorMessage(error))
      ? 'is not a git repository'
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
  const hint = (await verify('HEAD')) === '' ? ' (the repository has no commits yet)' : '';
  throw new BorgopsError('E_GIT', `unknown ref "${ref}" in ${source.dir}${hint}`);
}

/** Config files (path relative to the config directory → blob id) of a commit. */
async function listConfigBlobs(source: GitSource, commit: string): Promise<Map<string, string>> {
  const args = ['ls-tree', '-r', '-z', '--full-tree', commit];
  if (source.prefix !== '') args.push('--', source.prefix);
  const output = await source.git.raw(args);
  const blobs = new Map<string, string>();
  // each entry is "<mode> <type> <object>\t<path>"
  for (const entry of output.split('\0')) {
    const tab = entry.indexOf('\t');
    if (tab === -1) continue;
    const [, type, object] = entry.slice(0, tab).split(' ');
    const path = entry.slice(tab + 1);
    if (type !== 'blob' || object === undefined || !path.startsWith(source.prefix)) continue;
    const relative = path.slice(source.prefix.length);
    if (isConfigPath(relative)) blobs.set(relative, object);
  }
  return blobs;
}

/**
 * Reads blobs by object id with one `git cat-file --batch` process (simple-git cannot feed
 * stdin), so a thousand machines cost one process, not a thousand. Object ids, not
 * `<commit>:<path>`: git then looks up each object directly instead of walking the tree again.
 */
async function readBlobs(
  source: GitSource,
  commit: string,
  blobs: ReadonlyMap<string, string>,
): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  if (blobs.size === 0) return files;
  const input = [...blobs.values()].map((object) => `${object}\n`).join('');
  const { stdout } = await execa('git', ['cat-file', '--batch'], {
    cwd: source.dir,
    input,
    encoding: 'buffer',
    stripFinalNewline: false,
    env: gitEnv(),
    extendEnv: false,
  });
  const buffer = Buffer.from(stdout);
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

async function walk(root: string, relative: string, depth: number, out: string[]): Promise<void> {
  const dir = join(root, relative);
  const entries = (await orAbsent(readdir(dir, { withFileTypes: true }), 'list', dir)) ?? [];
  for (const entry of entries) {
    const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory() && depth > 0 && entry.name !== '.git') await walk(root, path, depth - 1, out);
    else if (entry.isFile() && isConfigPath(path)) out.push(path);
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
  await walk(source.dir, '', 2, paths);
  const files = new Map<string, string>();
  for (const path of paths.sort()) files.set(path, await readFile(join(source.dir, path), 'utf8'));
  const head = await source.git.raw(['rev-parse', '--verify', '--quiet', 'HEAD']).catch(() => '');
  return { ...(head.trim() === '' ? {} : { commit: head.trim() }), worktree: true, files };
}
