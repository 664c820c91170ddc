import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { onTestFinished } from 'vitest';
import { createBorg } from '../../src/borg/adapter.js';
import type { Borg, BorgTarget, Passphrase } from '../../src/borg/types.js';
import type { Logger } from '../../src/log.js';
import { tempDir } from './temp.js';

/** A private borg home (cache, security, keys), an adapter using it, and raw borg for test setup. */
export interface BorgSandbox {
  dir: string;
  env: Record<string, string>;
  borg: Borg;
  /** A target for a repository inside the sandbox (or any repo string). */
  target(repo: string, passphrase?: Passphrase, extra?: Partial<BorgTarget>): BorgTarget;
  /** borg run directly, for setup and cross-checks only (never the evidence for the adapter). */
  raw(args: readonly string[], options?: { env?: Record<string, string>; cwd?: string }): Promise<RawResult>;
  /** Writes a 0600 passphrase file and returns the Passphrase for it. */
  passphraseFile(content: string): Promise<Passphrase>;
  /** Removes the sandbox; needed only for `suite` sandboxes (others go when their test ends). */
  dispose(): Promise<void>;
}

export interface RawResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface SandboxOptions {
  logger?: Logger;
  env?: Record<string, string>;
  /** Shared by the tests of a file (made in beforeAll, removed with dispose() in afterAll). */
  suite?: boolean;
}

export async function borgSandbox(options: SandboxOptions = {}): Promise<BorgSandbox> {
  const dir =
    options.suite === true ? await mkdtemp(join(tmpdir(), 'borgops-borg-')) : await tempDir('borgops-borg-');
  const env: Record<string, string> = {
    ...Object.fromEntries(
      Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
    ),
    BORG_BASE_DIR: join(dir, 'home'),
    BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes',
    BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes',
    ...options.env,
  };
  await mkdir(env.BORG_BASE_DIR ?? '', { recursive: true });
  const borg = createBorg({ env, ...(options.logger === undefined ? {} : { logger: options.logger }) });
  let secrets = 0;
  return {
    dir,
    env,
    borg,
    target(repo, passphrase = { kind: 'none' }, extra = {}) {
      return { destination: 'test', repo, passphrase, lockWait: 1, ...extra };
    },
    async raw(args, rawOptions = {}) {
      const result = await execa('borg', [...args], {
        reject: false,
        stdin: 'ignore',
        env: { ...env, ...rawOptions.env },
        extendEnv: false,
        ...(rawOptions.cwd === undefined ? {} : { cwd: rawOptions.cwd }),
      });
      return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
    },
    async dispose() {
      await rm(dir, { recursive: true, force: true });
    },
    async passphraseFile(content) {
      secrets += 1;
      const path = join(dir, `secret-${secrets}.passphrase`);
      await writeFile(path, content, { mode: 0o600 });
      return { kind: 'file', path };
    },
  };
}

/** `borg init` through raw borg, failing the test when it fails. */
export async function initRepo(
  sandbox: BorgSandbox,
  name: string,
  encryption: 'none' | 'repokey' = 'none',
  passphrase = '',
): Promise<string> {
  const repo = join(sandbox.dir, name);
  const result = await sandbox.raw(['init', '--encryption', encryption, repo], {
    env: { BORG_PASSPHRASE: passphrase },
  });
  if (result.exitCode !== 0) throw new Error(`borg init failed: ${result.stderr}`);
  return repo;
}

/** A tiny source tree to archive: `<dir>/src/data/{a.txt,b.txt}`. */
export async function sourceTree(sandbox: BorgSandbox): Promise<string> {
  const root = join(sandbox.dir, 'src');
  await mkdir(join(root, 'data', 'cache'), { recursive: true });
  await writeFile(join(root, 'data', 'a.txt'), 'alpha\n');
  await writeFile(join(root, 'data', 'b.txt'), 'beta\n');
  await writeFile(join(root, 'data', 'cache', 'junk.bin'), 'junk\n');
  return root;
}

/**
 * Holds the repository's exclusive lock with a concurrent borg (`borg with-lock REPO cat`) until
 * released or the test ends: closing cat's stdin ends it, so no process outlives the test.
 */
export async function holdLock(sandbox: BorgSandbox, repo: string): Promise<{ release(): Promise<void> }> {
  const holder = execa('borg', ['with-lock', repo, 'cat'], {
    env: sandbox.env,
    extendEnv: false,
    stdin: 'pipe',
    stdout: 'ignore',
    reject: false,
  });
  async function release(): Promise<void> {
    holder.stdin.end();
    await holder;
  }
  onTestFinished(release);
  for (let attempt = 0; attempt < 400; attempt += 1) {
    if ((await readdir(repo)).includes('lock.roster')) return { release };
    if (holder.exitCode !== null) throw new Error('borg with-lock ended early');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('borg with-lock did not take the lock');
}

/** A borg 1.x repository's id, from its config file (it survives a lost machine; a re-init changes it). */
export async function repositoryId(repository: string): Promise<string> {
  return /^id = (\w+)$/m.exec(await readFile(join(repository, 'config'), 'utf8'))?.[1] ?? '';
}
