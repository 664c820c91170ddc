// The config directory of a commit, read from git's object database by `git cat-file
// --batch-command` a tree level at a time: which entries are config files, which are refused
// (links, submodules, files too large), and what an earlier read already holds (source.ts reads
// commits with it; readWorktree shares its refusals).
import { isConfigPath, mayHoldConfigFiles } from '../config/files.js';
import { BorgopsError } from '../errors.js';
import type { BatchObject, CatFile } from './cat-file.js';

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
export function fileProblem(relative: string, link: boolean, size: number): string | undefined {
  if (link)
    return `${relative}: is a symbolic link; borgops reads config files from git objects and does not follow links (commit the file itself)`;
  if (size > MAX_CONFIG_FILE_BYTES)
    return `${relative}: too large (${size} bytes; a config file may have at most ${MAX_CONFIG_FILE_BYTES})`;
  return undefined;
}

export function configTreeError(problems: readonly string[]): BorgopsError {
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
export interface Dir {
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
export async function configTree(git: CatFile, rootTree: string, prefix: string, idBytes: number) {
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
export async function readConfigTree(
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
