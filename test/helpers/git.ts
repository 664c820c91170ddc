import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type SimpleGit, simpleGit } from 'simple-git';
import { tempDir } from './temp.js';

export interface TestRepo {
  dir: string;
  git: SimpleGit;
  /** Writes (or, with null, deletes) files and commits them; returns the new commit. */
  commit(files: Record<string, string | null>, message?: string): Promise<string>;
  /** Writes files without committing. */
  write(files: Record<string, string | null>): Promise<void>;
}

async function writeFiles(dir: string, files: Record<string, string | null>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const target = join(dir, path);
    if (content === null) {
      await rm(target, { force: true });
      continue;
    }
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
  }
}

/** A real git repository in a temporary directory (gc.auto=0), optionally with a first commit. */
export async function gitRepo(
  files?: Record<string, string | null>,
  options: { from?: string } = {},
): Promise<TestRepo> {
  const repo = await gitRepoAt(await tempDir('borgops-config-'));
  if (options.from !== undefined) {
    await cp(options.from, repo.dir, { recursive: true });
    await repo.commit({}, 'import example');
  }
  if (files) await repo.commit(files, 'initial');
  return repo;
}

/** A real git repository (gc.auto=0) in `dir`, created if missing; for suites that share one across tests. */
export async function gitRepoAt(dir: string): Promise<TestRepo> {
  await mkdir(dir, { recursive: true });
  const git = simpleGit({ baseDir: dir });
  await git.init(['--initial-branch=main']);
  await git.addConfig('gc.auto', '0');
  await git.addConfig('user.email', 'test@borgops.invalid');
  await git.addConfig('user.name', 'borgops test');
  await git.addConfig('commit.gpgsign', 'false');
  return {
    dir,
    git,
    async write(changes) {
      await writeFiles(dir, changes);
    },
    async commit(changes, message = 'change') {
      await writeFiles(dir, changes);
      await git.add(['-A']);
      await git.commit(message, { '--allow-empty': null });
      return (await git.revparse(['HEAD'])).trim();
    },
  };
}

export const exampleDir = new URL('../../examples/clan-storagebox', import.meta.url).pathname;

/** The commit HEAD of a test repository points at. */
export async function headOf(repo: TestRepo): Promise<string> {
  return (await repo.git.revparse(['HEAD'])).trim();
}
