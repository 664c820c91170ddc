import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBorg } from '../../../src/borg/adapter.js';
import { BorgError } from '../../../src/borg/errors.js';
import { borgSandbox, holdLock, initRepo, sourceTree } from '../../helpers/borg.js';

/*
 * Every failure a repository can show, from real borg 1.2 processes. Only a repository that does
 * not exist may be `missing` (the one observation that lets borgops run `borg init`).
 */

describe('list: missing only when the repository does not exist', () => {
  it('a path that does not exist is missing, and so is an empty local directory', async () => {
    const sandbox = await borgSandbox();
    const empty = join(sandbox.dir, 'empty');
    await mkdir(empty);
    expect(await sandbox.borg.list(sandbox.target(join(sandbox.dir, 'nothing', 'here')))).toEqual({
      state: 'missing',
    });
    expect(await sandbox.borg.list(sandbox.target(empty))).toEqual({ state: 'missing' });
    // borg init accepts the empty directory, which is why it may count as missing.
    await sandbox.borg.init(sandbox.target(empty), 'none');
    expect(await sandbox.borg.list(sandbox.target(empty))).toEqual({ state: 'present', archives: [] });
  });

  it('a file, or a directory with other content, is not a repository (and init refuses it)', async () => {
    const sandbox = await borgSandbox();
    const file = join(sandbox.dir, 'file');
    await writeFile(file, 'not a repository\n');
    const full = join(sandbox.dir, 'full');
    await mkdir(full);
    await writeFile(join(full, 'photo.jpg'), 'jpeg');
    for (const repo of [file, full]) {
      const observed = await sandbox.borg.list(sandbox.target(repo));
      expect(observed).toMatchObject({ state: 'failed', failure: 'not-a-repository' });
      expect(observed.state === 'failed' && observed.message).toMatch(/^test: not a borg repository: /);
      await expect(sandbox.borg.init(sandbox.target(repo), 'none')).rejects.toMatchObject({
        code: 'E_BORG',
        failure: 'not-a-repository',
        msgid: 'Repository.PathAlreadyExists',
      });
    }
  });

  it('a wrong passphrase, a failing passcommand or no passphrase at all is a passphrase failure', async () => {
    const sandbox = await borgSandbox();
    const repo = await initRepo(sandbox, 'repo', 'repokey', 'right passphrase');
    const cases = [
      await sandbox.passphraseFile('wrong passphrase\n'),
      { kind: 'command', command: 'printf wrong' } as const,
      { kind: 'command', command: 'false' } as const,
      // Without a passphrase borg would ask on the terminal; it must fail instead.
      { kind: 'none' } as const,
    ];
    for (const passphrase of cases) {
      const observed = await sandbox.borg.list(sandbox.target(repo, passphrase));
      expect(observed).toMatchObject({ state: 'failed', failure: 'passphrase' });
    }
    const right = await sandbox.borg.list(
      sandbox.target(repo, { kind: 'command', command: 'printf "right passphrase"' }),
    );
    expect(right).toEqual({ state: 'present', archives: [] });
  });

  it('a lock held by another borg is locked, after lockWait', async () => {
    const sandbox = await borgSandbox();
    const repo = await initRepo(sandbox, 'repo');
    await holdLock(sandbox, repo);
    const observed = await sandbox.borg.list(sandbox.target(repo, { kind: 'none' }, { lockWait: 1 }));
    expect(observed).toMatchObject({ state: 'failed', failure: 'locked' });
    expect(observed.state === 'failed' && observed.message).toMatch(/^test: repository is locked: .*timeout/);
  });

  it('an ssh repository nobody answers for is unreachable', async () => {
    const sandbox = await borgSandbox();
    const target = sandbox.target(
      'ssh://borg@127.0.0.1:1/./x',
      { kind: 'none' },
      {
        rsh: 'ssh -o ConnectTimeout=5 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null',
      },
    );
    const observed = await sandbox.borg.list(target);
    expect(observed).toMatchObject({ state: 'failed', failure: 'unreachable' });
    // ssh's own reason (from its -E log), whatever borg managed to relay
    expect(observed.state === 'failed' && observed.message).toBe(
      'test: repository unreachable: ssh: connect to host 127.0.0.1 port 1: Connection refused',
    );
  });

  it('a repository this user may not open is a permission failure', async () => {
    const sandbox = await borgSandbox();
    const repo = await initRepo(sandbox, 'repo');
    await chmod(repo, 0o700);
    // As root, permissions do not bind: run the same borg as nobody (a real process, real EACCES).
    const asRoot = process.getuid?.() === 0;
    const home = join(sandbox.dir, 'nobody-home');
    await mkdir(home, { mode: 0o777 });
    await chmod(home, 0o777);
    const borg = asRoot
      ? createBorg({
          command: ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', 'borg'],
          env: { ...sandbox.env, BORG_BASE_DIR: home },
        })
      : sandbox.borg;
    if (!asRoot) await chmod(repo, 0o000);
    const observed = await borg.list(sandbox.target(repo));
    expect(observed).toMatchObject({ state: 'failed', failure: 'permission' });
  });
  it('an unencrypted repository where a passphrase is declared is refused on first contact', async () => {
    const sandbox = await borgSandbox();
    const repo = await initRepo(sandbox, 'repo');
    // A client that has never seen this repository (its own borg home).
    const fresh = createBorg({ env: { ...sandbox.env, BORG_BASE_DIR: join(sandbox.dir, 'fresh-home') } });
    const declaredEncrypted = await fresh.list(sandbox.target(repo, await sandbox.passphraseFile('words')));
    expect(declaredEncrypted).toMatchObject({ state: 'failed', failure: 'other' });
    expect(declaredEncrypted.state === 'failed' && declaredEncrypted.message).toMatch(/unknown unencrypted/);
    expect(await fresh.list(sandbox.target(repo, { kind: 'none' }))).toEqual({
      state: 'present',
      archives: [],
    });
  });
});

describe('errors of operations', () => {
  it('create on a missing repository throws a BorgError naming the destination', async () => {
    const sandbox = await borgSandbox();
    const cwd = await sourceTree(sandbox);
    const target = { ...sandbox.target(join(sandbox.dir, 'nothing')), destination: 'storagebox' };
    const error: unknown = await sandbox.borg
      .create(target, 'a', { paths: ['data'], cwd, compression: 'lz4', exclude: [] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BorgError);
    expect(error).toMatchObject({
      code: 'E_BORG',
      failure: 'missing',
      msgid: 'Repository.DoesNotExist',
      destination: 'storagebox',
      command: 'create',
    });
    expect(error instanceof BorgError && error.shortMessage).toMatch(
      /^storagebox: repository does not exist: /,
    );
    // borg 1.2 exits with the generic error 2; borg 1.4 with Repository.DoesNotExist's own 13.
    // borgops classifies by msgid, so both mean "missing".
    const exitCode = error instanceof BorgError ? error.exitCode : undefined;
    expect(exitCode).toBe(process.env.BORGOPS_EXPECT_BORG === '1.4' ? 13 : 2);
  });

  it('an unreadable passphrase file fails before any borg process starts', async () => {
    const sandbox = await borgSandbox();
    const repo = await initRepo(sandbox, 'repo');
    const observed = await sandbox.borg.list(
      sandbox.target(repo, { kind: 'file', path: join(sandbox.dir, 'no-such.passphrase') }),
    );
    expect(observed).toMatchObject({ state: 'failed', failure: 'passphrase' });
    expect(sandbox.borg.processCount).toBe(0);
  });
});
