import { readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isBorgError } from '../../../src/borg/errors.js';
import type { CreateProgress } from '../../../src/borg/types.js';
import { borgSandbox, initRepo, sourceTree } from '../../helpers/borg.js';
import { tempDir } from '../../helpers/temp.js';

/** What borg prints as `start` for a `--timestamp` (UTC) in this process's time zone. */
function localStart(utc: string): string {
  const d = new Date(`${utc}Z`);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.000000`;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

describe('borg adapter (real borg)', () => {
  it('reads the version (not counted: processCount counts processes that touch repositories)', async () => {
    const { borg } = await borgSandbox();
    const version = await borg.version();
    expect(version.major).toBe(1);
    expect(version.minor).toBeGreaterThanOrEqual(2);
    expect(version.text).toMatch(/^1\.\d+\.\d+/);
    expect(await borg.version()).toBe(version);
    expect(borg.processCount).toBe(0);
  });

  it('inits an encrypted repository with a passphrase file, lists it, exports its key', async () => {
    const sandbox = await borgSandbox();
    const target = sandbox.target(join(sandbox.dir, 'repo'), await sandbox.passphraseFile('s3cret words\n'));
    await sandbox.borg.init(target, 'repokey');
    expect(await sandbox.borg.list(target)).toEqual({ state: 'present', archives: [] });
    const keyFile = join(sandbox.dir, 'repo.key');
    await sandbox.borg.exportKey(target, keyFile);
    expect(await readFile(keyFile, 'utf8')).toMatch(/^BORG_KEY [0-9a-f]{64}\n/);
    expect(sandbox.borg.processCount).toBe(3);
    // The key really is protected by that passphrase: borg itself accepts it and refuses another.
    const right = await sandbox.raw(['list', target.repo], { env: { BORG_PASSPHRASE: 's3cret words' } });
    const wrong = await sandbox.raw(['list', target.repo], { env: { BORG_PASSPHRASE: 'other' } });
    expect([right.exitCode, wrong.exitCode]).toEqual([0, 2]);
  });

  it('creates an archive relative to cwd with excludes, a timestamp and progress, then extracts it', async () => {
    const sandbox = await borgSandbox();
    const repo = await initRepo(sandbox, 'repo');
    const target = sandbox.target(repo);
    const cwd = await sourceTree(sandbox);
    const progress: CreateProgress[] = [];
    const result = await sandbox.borg.create(target, 'host-dest-2026-03-01T01:00:00', {
      paths: ['data'],
      cwd,
      compression: 'auto,zstd',
      exclude: ['data/cache'],
      timestamp: '2026-03-01T01:00:00',
      onProgress: (p) => progress.push(p),
    });
    expect(result.warnings).toEqual([]);
    expect(result.stats.files).toBe(2);
    expect(result.stats.originalSize).toBeGreaterThanOrEqual('alpha\nbeta\n'.length);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[0]).toMatchObject({ files: expect.any(Number), originalSize: expect.any(Number) });

    const listed = await sandbox.borg.list(target);
    expect(listed).toMatchObject({
      state: 'present',
      archives: [{ name: 'host-dest-2026-03-01T01:00:00', start: localStart('2026-03-01T01:00:00') }],
    });
    // the start create reports is the one borg list gives retention, to the microsecond
    const [archive] = listed.state === 'present' ? listed.archives : [];
    expect(result.start).toEqual({ start: archive?.start, epochMicros: archive?.epochMicros });
    expect(result.start?.epochMicros).toBe(Date.UTC(2026, 2, 1, 1) * 1000);

    const restore = await tempDir();
    const dry = await sandbox.borg.extract(target, 'host-dest-2026-03-01T01:00:00', {
      paths: ['data'],
      cwd: restore,
      dryRun: true,
    });
    expect(dry.warnings).toEqual([]);
    expect(await exists(join(restore, 'data'))).toBe(false);
    await sandbox.borg.extract(target, 'host-dest-2026-03-01T01:00:00', {
      paths: ['data/a.txt'],
      cwd: restore,
    });
    expect(await readFile(join(restore, 'data', 'a.txt'), 'utf8')).toBe('alpha\n');
    expect(await exists(join(restore, 'data', 'b.txt'))).toBe(false);
    expect(await exists(join(restore, 'data', 'cache'))).toBe(false);
  });

  it('renames, deletes several archives in one process, and compacts', async () => {
    const sandbox = await borgSandbox();
    const repo = await initRepo(sandbox, 'repo');
    const target = sandbox.target(repo);
    const cwd = await sourceTree(sandbox);
    const options = { paths: ['data'], cwd, compression: 'none', exclude: [] };
    for (const name of ['a1', 'a2', 'a3.failed']) await sandbox.borg.create(target, name, options);
    await sandbox.borg.rename(target, 'a3.failed', 'a3');

    const before = sandbox.borg.processCount;
    await sandbox.borg.deleteArchives(target, ['a1', 'a3']);
    expect(sandbox.borg.processCount - before).toBe(1);
    await sandbox.borg.deleteArchives(target, []);
    expect(sandbox.borg.processCount - before).toBe(1);
    await sandbox.borg.compact(target);

    const listed = await sandbox.borg.list(target);
    expect(listed.state === 'present' ? listed.archives.map((a) => a.name) : listed).toEqual(['a2']);
  });

  it('returns exit code 1 as warnings, not as an error', async () => {
    const sandbox = await borgSandbox();
    const target = sandbox.target(await initRepo(sandbox, 'repo'));
    const cwd = await sourceTree(sandbox);
    const result = await sandbox.borg.create(target, 'partial', {
      paths: ['data', 'vanished'],
      cwd,
      compression: 'lz4',
      exclude: [],
    });
    expect(result.warnings).toEqual([expect.stringContaining('vanished')]);
    expect(result.stats.files).toBe(3);
    const listed = await sandbox.borg.list(target);
    expect(listed.state === 'present' ? listed.archives.map((a) => a.name) : listed).toEqual(['partial']);
  });

  it('refuses empty paths, names borg would misread and a repokey without passphrase, before borg starts', async () => {
    const sandbox = await borgSandbox();
    const target = sandbox.target(join(sandbox.dir, 'repo'));
    await expect(sandbox.borg.extract(target, 'a', { paths: [], cwd: sandbox.dir })).rejects.toMatchObject({
      code: 'E_USAGE',
    });
    await expect(sandbox.borg.deleteArchives(target, ['ok', 'x/y'])).rejects.toMatchObject({
      code: 'E_USAGE',
    });
    // An encrypted repository without a passphrase would get an empty one.
    await expect(sandbox.borg.init(target, 'repokey')).rejects.toMatchObject({ code: 'E_USAGE' });
    expect(sandbox.borg.processCount).toBe(0);
  });

  it('on abort sends borg SIGINT: it writes a checkpoint and the promise rejects', async () => {
    const sandbox = await borgSandbox();
    const repo = await initRepo(sandbox, 'repo');
    const target = sandbox.target(repo);
    const cwd = await tempDir();
    // borg 1.2 finishes the file it is reading after SIGINT, then stops: many sparse files (no
    // disk, ~0.3 s of reading each) give it far more work than it can finish before the abort.
    for (let i = 0; i < 100; i += 1) {
      const file = join(cwd, `sparse-${String(i).padStart(3, '0')}.bin`);
      await writeFile(file, '');
      await truncate(file, 256 * 2 ** 20);
    }
    const controller = new AbortController();
    const created = sandbox.borg.create(target, 'interrupted', {
      paths: ['.'],
      cwd,
      compression: 'none',
      exclude: [],
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    const error: unknown = await created.catch((e: unknown) => e);
    expect(isBorgError(error) && error.failure).toBe('aborted');
    const all = await sandbox.raw(['list', '--consider-checkpoints', '--short', repo]);
    expect(all.stdout.split('\n')).toContain('interrupted.checkpoint');
  });
});
