import { join } from 'node:path';
import type { GitSource } from './source.js';

export interface RefWatcher {
  close(): Promise<void>;
}

/** The directory holding refs and packed-refs (a linked worktree shares its main repository's). */
export async function commonGitDir(source: GitSource): Promise<string> {
  const git = await source.git();
  const dir = (await git.raw(['rev-parse', '--path-format=absolute', '--git-common-dir'])).trim();
  return dir === '' ? join(source.dir, '.git') : dir;
}

/**
 * Calls `onChange` (debounced) when a branch or tag may have moved: git writes `refs/…/x.lock`
 * then renames it over `refs/…/x`, or rewrites `packed-refs`. The caller resolves the ref
 * again and decides whether the commit changed.
 */
export async function watchRefs(
  source: GitSource,
  onChange: () => void,
  debounceMs = 100,
): Promise<RefWatcher> {
  const gitDir = await commonGitDir(source);
  let timer: NodeJS.Timeout | undefined;
  const fire = (path: string) => {
    if (path.endsWith('.lock')) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  };
  // imported on use: the bundled CLI initialises chokidar only when a command watches
  const { watch } = await import('chokidar');
  const watcher = watch([join(gitDir, 'refs'), join(gitDir, 'packed-refs'), join(gitDir, 'HEAD')], {
    ignoreInitial: true,
    depth: 6,
    awaitWriteFinish: false,
  });
  watcher.on('add', fire).on('change', fire).on('unlink', fire);
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return {
    async close() {
      if (timer) clearTimeout(timer);
      await watcher.close();
    },
  };
}
