import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BorgopsError, errorMessage } from '../errors.js';
import { redactUrl } from '../log.js';
import { loadExeca } from '../util/execa.js';
import { sha256 } from '../util/hash.js';
import { type GitSource, gitEnv, openSource } from './source.js';

const scpLike = /^[A-Za-z0-9._-]+@[A-Za-z0-9._-]+:/;

/** A URL git clones from (`https://`, `ssh://`, `file://`, `git@host:path`), as opposed to a local directory. */
export function isRemoteSource(source: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(source) || (scpLike.test(source) && !existsSync(source));
}

function mirrorDir(mirrorsDir: string, url: string): string {
  const name =
    url
      .replace(/^.*[/:]/, '')
      .replace(/\.git$/, '')
      .replace(/[^A-Za-z0-9._-]/g, '_') || 'config';
  return join(mirrorsDir, `${name}-${sha256(url).slice(0, 12)}.git`);
}

async function git(args: readonly string[], cwd?: string): Promise<void> {
  const execa = await loadExeca();
  await execa('git', [...args], {
    env: { ...gitEnv(), GIT_TERMINAL_PROMPT: '0' },
    extendEnv: false,
    stdin: 'ignore',
    ...(cwd ? { cwd } : {}),
  });
}

/** A mirror clone of a remote config repository in the state directory, created on first use. */
export async function ensureMirror(url: string, mirrorsDir: string): Promise<GitSource> {
  const dir = mirrorDir(mirrorsDir, url);
  if (!existsSync(dir)) {
    await mkdir(mirrorsDir, { recursive: true, mode: 0o700 });
    const staging = `${dir}.partial-${process.pid}`;
    try {
      await rm(staging, { recursive: true, force: true });
      await git(['clone', '--mirror', '--quiet', '--', url, staging]);
      await git(['config', 'gc.auto', '0'], staging);
      await rename(staging, dir);
    } catch (error: unknown) {
      await rm(staging, { recursive: true, force: true });
      throw new BorgopsError(
        'E_GIT',
        `cannot clone ${redactUrl(url)}: ${redactUrl(errorMessage(error).split('\n').slice(-1)[0] ?? '')}`,
        {
          cause: error,
        },
      );
    }
  }
  return openSource(dir);
}

/** Fetches every ref of the mirror (`git fetch --prune`). */
export async function fetchMirror(source: GitSource, url: string): Promise<void> {
  try {
    await git(['fetch', '--prune', '--quiet', 'origin'], source.dir);
  } catch (error: unknown) {
    throw new BorgopsError(
      'E_GIT',
      `cannot fetch ${redactUrl(url)}: ${redactUrl(errorMessage(error).split('\n').slice(-1)[0] ?? '')}`,
      {
        cause: error,
      },
    );
  }
}
