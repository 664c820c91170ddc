import { BorgopsError } from '../errors.js';
import { loadExeca } from '../util/execa.js';
import { gitEnv } from './source.js';

async function git(
  dir: string,
  args: readonly string[],
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const execa = await loadExeca();
  const result = await execa('git', [...args], { cwd: dir, env: gitEnv(), extendEnv: false, reject: false });
  return { exitCode: result.exitCode ?? 1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

export interface InitResult {
  /** `git init` ran (false: DIR was already inside a git repository). */
  initialized: boolean;
  /** The first commit, when one was made. */
  commit?: string;
  /** The author was borgops's own, because git has no user.name/user.email configured. */
  fallbackAuthor: boolean;
}

/**
 * Makes DIR a git repository (unless it is inside one already) and, with `commit`, commits exactly
 * `paths` (nothing else that was in DIR).
 */
export async function initRepository(
  dir: string,
  paths: readonly string[],
  commit: boolean,
): Promise<InitResult> {
  const inside = await git(dir, ['rev-parse', '--is-inside-work-tree']);
  const initialized = !(inside.exitCode === 0 && inside.stdout.trim() === 'true');
  if (initialized) {
    const init = await git(dir, ['init', '--quiet', '--initial-branch=main']);
    if (init.exitCode !== 0)
      throw new BorgopsError('E_GIT', `git init in ${dir} failed: ${init.stderr.trim()}`);
  }
  if (!commit) return { initialized, fallbackAuthor: false };
  const add = await git(dir, ['add', '--', ...paths]);
  if (add.exitCode !== 0) throw new BorgopsError('E_GIT', `git add in ${dir} failed: ${add.stderr.trim()}`);
  const email = await git(dir, ['config', 'user.email']);
  const name = await git(dir, ['config', 'user.name']);
  const fallbackAuthor = email.stdout.trim() === '' || name.stdout.trim() === '';
  const identity = fallbackAuthor
    ? ['-c', 'user.name=borgops init', '-c', 'user.email=borgops@localhost']
    : [];
  const made = await git(dir, [
    ...identity,
    'commit',
    '--quiet',
    '--no-verify',
    '-m',
    'borgops init: inventory, one machine, one state',
    '--',
    ...paths,
  ]);
  if (made.exitCode !== 0)
    throw new BorgopsError('E_GIT', `git commit in ${dir} failed: ${made.stderr.trim()}`);
  const head = await git(dir, ['rev-parse', 'HEAD']);
  return { initialized, commit: head.stdout.trim(), fallbackAuthor };
}
