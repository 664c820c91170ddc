import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { SimpleGit } from 'simple-git';
import { isConfigPath, mayHoldConfigFiles } from '../config/files.js';
import { BorgopsError, errorMessage } from '../errors.js';
import { orAbsent } from '../host/fs-error.js';
import { askable, type BatchObject, CatFile } from './cat-file.js';

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

/** The largest config file borgops reads (a state file of thousands of folders is well below). */
export const MAX_CONFIG_FILE_BYTES = 8 * 1024 * 1024;

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

function configTreeError(problems: readonly string[]): BorgopsError {
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return new BorgopsError('E_CONFIG', `${problems[0]}${more}`, { details: [...problems] });
}

interface TreeEntry {
  /** The mode as git stores it in trees (octal, '40000' for a tree). */
  mode: string;
  /** The type `git ls-tree` gives the entry: tree, commit (a submodule) or blob. */
  type: 'tree' | 'commit' | 'blob';
  name: string;
  oid: string;
}

const nonAscii = /[\u0080-\u00ff]/;

/** The mode as `git ls-tree` gives it (git's canon_mode): any other file mode is a regular file. */
function canonicalMode(mode: string): string {
  if (mode === '100644' || mode === '40000' || mode === '100755' || mode === '120000' || mode === '160000')
    return mode;
  const format = Number.parseInt(mode, 8) & 0o170000;
  return format === 0o040000
    ? '40000'
    : format === 0o160000
      ? '160000'
      : format === 0o120000
        ? '120000'
        : '100644';
}

/**
 * A tree object's entries, in git's order: each is `<mode> SP <name> NUL <raw object id>`. Modes
 * and names are decoded with one Buffer call per tree, not one per field: for a thousand machines'
 * trees those calls cost several milliseconds of a cold CLI run. Ids take one call each: a flat
 * string, where one built byte by byte is a chain of ~15 strings, ~6 times the memory, kept for
 * as long as the read's index is (see readAtCommit), and slower to build.
 */
function parseTree(data: Buffer, idBytes: number): TreeEntry[] | undefined {
  const text = data.toString('latin1');
  const entries: TreeEntry[] = [];
  let at = 0;
  while (at < text.length) {
    const space = text.indexOf(' ', at);
    const nul = space === -1 ? -1 : text.indexOf('\0', space + 1);
    if (nul === -1 || nul + 1 + idBytes > text.length) return undefined;
    const mode = canonicalMode(text.slice(at, space));
    const name = text.slice(space + 1, nul);
    const oid = data.toString('hex', nul + 1, nul + 1 + idBytes);
    entries.push({
      mode,
      type: mode === '40000' ? 'tree' : mode === '160000' ? 'commit' : 'blob',
      // names are bytes; read as UTF-8, as ls-tree's output was
      name: nonAscii.test(name) ? data.toString('utf8', space + 1, nul) : name,
      oid,
    });
    at = nul + 1 + idBytes;
  }
  return entries;
}

/**
 * A directory of the commit that can hold config files, with what matters in it in git's order.
 * Once read, a Dir is never changed: a later read shares it, whole or by item, where it finds the
 * same path with the same object id.
 */
interface Dir {
  path: string;
  oid: string;
  items: Item[];
}

/** A config file of the commit: its size is asked first, its contents only when within the limit. */
interface ConfigBlob {
  path: string;
  oid: string;
  problem?: string;
  text?: string;
}

type Item = { dir: Dir } | { blob: ConfigBlob } | { problem: string };

const oidOf = (object: { oid: string }) => object.oid;

function treeOf(git: CatFile, object: BatchObject | undefined, idBytes: number, path: string): TreeEntry[] {
  const entries = object?.type === 'tree' && object.data ? parseTree(object.data, idBytes) : undefined;
  if (entries === undefined) throw git.unexpected(`no tree at ${JSON.stringify(path)}`);
  return entries;
}

/** The tree of the config directory `prefix` ('' or 'sub/dir/'), if the commit has one there. */
async function configTree(git: CatFile, rootTree: string, prefix: string, idBytes: number) {
  let oid = rootTree;
  let path = '';
  for (const name of prefix.split('/').filter((part) => part !== '')) {
    const [object] = await git.batch('contents', [oid]);
    const entry = treeOf(git, object, idBytes, path).find((e) => e.name === name);
    if (entry?.type !== 'tree') return undefined;
    oid = entry.oid;
    path = path === '' ? name : `${path}/${name}`;
  }
  return oid;
}

/** A directory still to be read, with the directory at its path in the earlier read (if any). */
interface Visit {
  dir: Dir;
  before: Dir | undefined;
}

const oidOfVisit = (visit: Visit) => visit.dir.oid;

/** The earlier read's items of `dir` by path, to be matched with what the tree at that path holds now. */
function itemsByPath(dir: Dir | undefined): Map<string, Item> | undefined {
  if (dir === undefined) return undefined;
  const items = new Map<string, Item>();
  for (const item of dir.items) {
    if ('dir' in item) items.set(item.dir.path, item);
    else if ('blob' in item) items.set(item.blob.path, item);
  }
  return items;
}

/**
 * The config files under `tree`, walked a level at a time: each round trip to git reads the next
 * level's trees (only those `mayHoldConfigFiles`), the sizes of the config files found in the
 * previous level, and the contents of those whose size was within the limit, unless a file is
 * refused already. Links, submodules and files too large are refused by name, in git's order.
 *
 * `earlier` is the top of a read that succeeded (of the same object format): git objects are named
 * by their contents, so a tree or blob with the same id at the same path holds the same config
 * files and passes the same checks, and is taken from it instead of asked of git again.
 */
async function readConfigTree(
  git: CatFile,
  tree: string,
  idBytes: number,
  earlier?: Dir,
): Promise<{ files: Map<string, string>; top: Dir }> {
  const top: Dir = earlier?.oid === tree ? earlier : { path: '', oid: tree, items: [] };
  let dirs: Visit[] = top === earlier ? [] : [{ dir: top, before: earlier }];
  let sized: ConfigBlob[] = [];
  let read: ConfigBlob[] = [];
  let refused = false;
  while (dirs.length > 0 || sized.length > 0 || read.length > 0) {
    const [trees, infos, contents] = await Promise.all([
      git.batch('contents', dirs.map(oidOfVisit)),
      git.batch('info', sized.map(oidOf)),
      git.batch('contents', read.map(oidOf)),
    ]);
    const nextRead: ConfigBlob[] = [];
    for (const [index, blob] of sized.entries()) {
      const info = infos[index];
      if (info?.type !== 'blob') throw git.unexpected(`no blob at ${JSON.stringify(blob.path)}`);
      blob.problem = fileProblem(blob.path, false, info.size);
      if (blob.problem !== undefined) refused = true;
      else nextRead.push(blob);
    }
    for (const [index, blob] of read.entries()) {
      const object = contents[index];
      if (object?.type !== 'blob' || object.data === undefined || object.size > MAX_CONFIG_FILE_BYTES)
        throw git.unexpected(`no blob at ${JSON.stringify(blob.path)}`);
      blob.text = object.data.toString('utf8');
    }
    const nextDirs: Visit[] = [];
    const nextSized: ConfigBlob[] = [];
    for (const [index, { dir, before }] of dirs.entries()) {
      const known = itemsByPath(before);
      for (const entry of treeOf(git, trees[index], idBytes, dir.path)) {
        const path = dir.path === '' ? entry.name : `${dir.path}/${entry.name}`;
        const same = known?.get(path);
        if (entry.type === 'tree') {
          if (!mayHoldConfigFiles(path)) continue;
          if (same !== undefined && 'dir' in same && same.dir.oid === entry.oid) {
            dir.items.push(same);
            continue;
          }
          const child: Dir = { path, oid: entry.oid, items: [] };
          dir.items.push({ dir: child });
          nextDirs.push({ dir: child, before: same !== undefined && 'dir' in same ? same.dir : undefined });
        } else if (entry.type === 'blob' && entry.mode !== '120000' && isConfigPath(path)) {
          if (same !== undefined && 'blob' in same && same.blob.oid === entry.oid) {
            dir.items.push(same);
            continue;
          }
          const blob: ConfigBlob = { path, oid: entry.oid };
          dir.items.push({ blob });
          nextSized.push(blob);
        } else {
          const problem = entryProblem(entry.mode, entry.type, path, 0);
          if (problem === undefined) continue;
          dir.items.push({ problem });
          refused = true;
        }
      }
    }
    dirs = nextDirs;
    sized = nextSized;
    read = refused ? [] : nextRead;
  }
  const files = new Map<string, string>();
  const problems: string[] = [];
  const collect = (dir: Dir): void => {
    for (const item of dir.items) {
      if ('dir' in item) collect(item.dir);
      else if ('problem' in item) problems.push(item.problem);
      else if (item.blob.problem !== undefined) problems.push(item.blob.problem);
      else files.set(item.blob.path, item.blob.text ?? '');
    }
  };
  collect(top);
  if (problems.length > 0) throw configTreeError(problems);
  return { files, top };
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
