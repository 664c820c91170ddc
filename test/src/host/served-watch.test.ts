import { mkdir, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { nextRecord } from '../../../src/host/served-history.js';
import { observeServedRepository } from '../../../src/host/served-watch.js';
import { tempDir } from '../../helpers/temp.js';

const env = { BORG_PASSPHRASE: 'test', BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes' };

async function borg(args: string[], cwd?: string) {
  return execa('borg', args, { env, ...(cwd === undefined ? {} : { cwd }) });
}

async function sizeOf(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await sizeOf(path);
    else if (entry.isFile()) total += (await stat(path)).size;
  }
  return total;
}

describe('observeServedRepository (real borg 1.x repositories, metadata only)', () => {
  it('reports an empty served directory as not initialized, created, never written', async () => {
    const dir = await tempDir();
    const observed = await observeServedRepository(dir);
    expect(observed).toMatchObject({ exists: true, initialized: false, bytes: 0, segments: 0 });
    expect(observed.lastWrite).toBeUndefined();
    expect(Date.parse(observed.createdAt!)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('reads the transaction, the last write, the size, the quota use and pending deletions', async () => {
    const dir = await tempDir();
    const repo = join(dir, 'repo');
    await borg(['init', '-e', 'none', '--append-only', '--storage-quota', '1G', repo]);
    await mkdir(join(dir, 'data'));
    await writeFile(join(dir, 'data/a'), Buffer.alloc(100_000, 1));
    await borg(['create', `${repo}::one`, 'data'], dir);
    const fresh = await observeServedRepository(repo);
    expect(fresh).toMatchObject({ initialized: true, appendOnly: true, pendingDeletions: 0 });
    expect(fresh.bytes).toBe(await sizeOf(repo));
    const index = (await readdir(repo)).find((name) => name.startsWith('index.'));
    expect(fresh.transaction).toBe(Number(index?.slice(6)));
    expect(fresh.quotaUseBytes).toBeGreaterThan(100);

    await writeFile(join(dir, 'data/b'), Buffer.alloc(50_000, 2));
    await borg(['create', `${repo}::two`, 'data'], dir);
    await borg(['delete', `${repo}::one`]);
    const later = await observeServedRepository(repo);
    expect(later.transaction).toBeGreaterThan(fresh.transaction!);
    expect(Date.parse(later.lastWrite!)).toBeGreaterThanOrEqual(Date.parse(fresh.lastWrite!));
    // the deleted archive's objects stay in the segments of an append-only repository
    expect(later.pendingDeletions).toBeGreaterThan(0);
    expect(later.bytes).toBeGreaterThan(fresh.bytes);
  });

  it('never follows a symlink the borg user planted: the repository, hints or segments', async () => {
    const dir = await tempDir();
    const secret = join(dir, 'root-only');
    await writeFile(secret, Buffer.alloc(5_000_000, 3));
    await symlink(dir, join(dir, 'linked'));
    expect(await observeServedRepository(join(dir, 'linked'))).toMatchObject({
      exists: true,
      problem: `${join(dir, 'linked')} is a symlink`,
      bytes: 0,
    });

    const repo = join(dir, 'repo');
    await mkdir(join(repo, 'data', '0'), { recursive: true });
    await writeFile(join(repo, 'config'), '[repository]\nappend_only = 0\n');
    await symlink(secret, join(repo, 'hints.7'));
    await symlink(secret, join(repo, 'data', '0', '1'));
    await symlink(secret, join(repo, 'data', '9'));
    const observed = await observeServedRepository(repo);
    expect(observed.bytes).toBe((await stat(join(repo, 'config'))).size);
    expect(observed.segments).toBe(0);
    expect(observed.quotaUseBytes).toBeUndefined();
    expect(observed.transaction).toBeUndefined();
  });

  it('reports what it can when the hints file is garbage (a repository borg is rewriting)', async () => {
    const repo = await tempDir();
    await writeFile(join(repo, 'config'), '[repository]\nappend_only = 1\n');
    await writeFile(join(repo, 'hints.3'), Buffer.from([0xc1, 0x00]));
    await writeFile(join(repo, 'index.3'), 'x');
    const observed = await observeServedRepository(repo);
    expect(observed).toMatchObject({ initialized: true, appendOnly: true, transaction: 3 });
    expect(observed.quotaUseBytes).toBeUndefined();
  });

  it('reports a missing directory as absent and a file as not a directory', async () => {
    const dir = await tempDir();
    expect(await observeServedRepository(join(dir, 'nope'))).toMatchObject({ exists: false });
    await writeFile(join(dir, 'file'), 'x');
    expect((await observeServedRepository(join(dir, 'file'))).problem).toBe(
      `${join(dir, 'file')} is not a directory`,
    );
  });
});

describe('nextRecord (served.json)', () => {
  const sample = (bytes: number, transaction: number, at = '2026-11-30T00:00:00.000Z') => ({
    at,
    bytes,
    transaction,
  });

  it('keeps the previous observation until the repository changes, then moves it', () => {
    const first = nextRecord(undefined, sample(100, 1));
    expect(first.previous).toBeUndefined();
    const same = nextRecord(first, sample(100, 1, '2026-11-30T01:00:00.000Z'));
    expect(same.previous).toBeUndefined();
    const grown = nextRecord(same, sample(150, 5));
    expect(grown.previous).toMatchObject({ bytes: 100, transaction: 1 });
    const unchanged = nextRecord(grown, sample(150, 5, '2026-11-30T02:00:00.000Z'));
    expect(unchanged.previous).toMatchObject({ bytes: 100 });
    expect(nextRecord(unchanged, sample(90, 9)).previous).toMatchObject({ bytes: 150 });
  });
});
