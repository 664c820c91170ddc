// The state of a local repository read without borg: what changes it (every commit) and what does
// not (reading), and every case where it must not be trusted (real borg, real repositories).
import { cp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoryFingerprint } from '../../../src/borg/repository-state.js';
import { type BorgSandbox, borgSandbox, holdLock, initRepo, sourceTree } from '../../helpers/borg.js';

let sandbox: BorgSandbox;
let repo: string;
let source: string;

async function borg(...args: string[]): Promise<void> {
  const result = await sandbox.raw(args, { cwd: source });
  if (result.exitCode !== 0) throw new Error(`borg ${args[0]}: ${result.stderr}`);
}

async function fingerprint(): Promise<string> {
  const value = await repositoryFingerprint(repo);
  expect(value).toMatch(/^\d+:[0-9a-f]{32}$/);
  return value!;
}

beforeAll(async () => {
  sandbox = await borgSandbox({ suite: true });
  repo = await initRepo(sandbox, 'repo');
  source = await sourceTree(sandbox);
});
afterAll(async () => {
  await sandbox.dispose();
});

describe('repositoryFingerprint (real borg)', () => {
  it('changes with every commit: create, delete, compact, rename', async () => {
    const seen = [await fingerprint()];
    await borg('create', `${repo}::a1`, 'data');
    seen.push(await fingerprint());
    await borg('create', `${repo}::a2`, 'data');
    seen.push(await fingerprint());
    await borg('delete', `${repo}::a1`);
    seen.push(await fingerprint());
    await borg('compact', repo);
    seen.push(await fingerprint());
    await borg('rename', `${repo}::a2`, 'a3');
    seen.push(await fingerprint());
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('does not change when borg only reads: list, info, check, extract', async () => {
    const before = await fingerprint();
    await borg('list', repo);
    await borg('info', `${repo}::a3`);
    await borg('check', repo);
    await borg('extract', '--dry-run', `${repo}::a3`);
    expect(await fingerprint()).toBe(before);
  });

  it('tells a copy restored from before the last write apart from the repository now', async () => {
    const copy = join(sandbox.dir, 'copy');
    await cp(repo, copy, { recursive: true });
    const old = await repositoryFingerprint(copy);
    await borg('create', `${repo}::a4`, 'data');
    const now = await fingerprint();
    await rm(repo, { recursive: true });
    await cp(copy, repo, { recursive: true });
    expect(old).toBeDefined();
    expect(await fingerprint()).toBe(old);
    expect(old).not.toBe(now);
  });

  it('tells two repositories at the same transaction apart', async () => {
    const one = await initRepo(sandbox, 'twin-1');
    const two = await initRepo(sandbox, 'twin-2');
    const [a, b] = [await repositoryFingerprint(one), await repositoryFingerprint(two)];
    expect(a?.split(':')[0]).toBe(b?.split(':')[0]);
    expect(a).not.toBe(b);
  });

  it('is undefined while a borg holds the repository (it may be about to commit)', async () => {
    const lock = await holdLock(sandbox, repo);
    expect(await repositoryFingerprint(repo)).toBeUndefined();
    await lock.release();
    await fingerprint();
    await mkdir(join(repo, 'lock.exclusive'));
    try {
      expect(await repositoryFingerprint(repo)).toBeUndefined();
    } finally {
      await rm(join(repo, 'lock.exclusive'), { recursive: true });
    }
  });

  it('is undefined with two transaction files in sight (a commit under way) or none', async () => {
    const now = await fingerprint();
    const n = Number(now.split(':')[0]);
    await writeFile(join(repo, `index.${n + 1}`), '');
    try {
      expect(await repositoryFingerprint(repo)).toBeUndefined();
    } finally {
      await rm(join(repo, `index.${n + 1}`));
    }
    const bare = join(sandbox.dir, 'not-a-repo');
    await mkdir(bare);
    expect(await repositoryFingerprint(bare)).toBeUndefined();
    expect(await repositoryFingerprint(join(sandbox.dir, 'absent'))).toBeUndefined();
    await writeFile(join(sandbox.dir, 'a-file'), 'x');
    expect(await repositoryFingerprint(join(sandbox.dir, 'a-file'))).toBeUndefined();
  });

  it('never follows a symlink for its files, and is undefined for a remote repository', async () => {
    const fake = join(sandbox.dir, 'fake');
    await mkdir(fake);
    await writeFile(join(fake, 'index.7'), '');
    await writeFile(join(fake, 'integrity.7'), 'x');
    await symlink(join(repo, 'config'), join(fake, 'config'));
    expect(await repositoryFingerprint(fake)).toBeUndefined();
    for (const remote of ['ssh://jon@box:22/./repo', 'jon@box:repo', 'box:/srv/repo'])
      expect(await repositoryFingerprint(remote)).toBeUndefined();
    expect(await repositoryFingerprint(`file://${repo}`)).toBe(await fingerprint());
  });
});
