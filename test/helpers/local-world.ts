import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { localConfig } from './fleet.js';
import { gitRepo, type TestRepo } from './git.js';
import { tempDir } from './temp.js';

export interface LocalWorld {
  /** The temporary directory everything is under. */
  base: string;
  /** jon's config repository: two states backed up to `local`. */
  repo: TestRepo;
  /** `<base>/repos/local`, jon's borg repository (not created). */
  repository: string;
  /** `<base>/root`, jon's --root. */
  root: string;
}

/** The smallest fleet: jon backs up to a local repository, under a new temporary directory. */
export async function localWorld(prefix: string, extra: Record<string, unknown> = {}): Promise<LocalWorld> {
  const base = await tempDir(prefix);
  await mkdir(join(base, 'repos'));
  const repository = join(base, 'repos', 'local');
  const repo = await gitRepo(localConfig({ local: repository }, extra));
  return { base, repo, repository, root: join(base, 'root') };
}

/** The options that converge jon from `source` under `root` with the embedded scheduler. */
export function jonAt(source: string, root: string): string[] {
  return ['--source', source, '--machine', 'jon', '--root', root, '--scheduler', 'embedded'];
}
