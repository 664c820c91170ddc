import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createBorg } from '../../../src/borg/adapter.js';
import { borgKeysDir, hasLocalKey, keyRepositoryId } from '../../../src/borg/key-file.js';
import type { BorgTarget, CommittedKey } from '../../../src/borg/types.js';
import { encryptTo } from '../../../src/secrets/age.js';
import { adminKey } from '../../helpers/age.js';
import { type BorgSandbox, borgSandbox } from '../../helpers/borg.js';
import { recordingLogger } from '../../helpers/logger.js';
import { tempDir } from '../../helpers/temp.js';

const PASSPHRASE = 'keyfile-test-passphrase';
const FILE = 'machines/jon/secrets/local.key.age';

describe('borgKeysDir: where borg 1.2 looks for keyfiles', () => {
  it.each([
    [{ BORG_BASE_DIR: '/s/borg', HOME: '/root' }, '/s/borg/.config/borg/keys'],
    [{ BORG_BASE_DIR: '/s/borg', XDG_CONFIG_HOME: '/x' }, '/s/borg/.config/borg/keys'],
    [{ HOME: '/home/a', XDG_CONFIG_HOME: '/x' }, '/x/borg/keys'],
    [{ HOME: '/home/a' }, '/home/a/.config/borg/keys'],
    [{ HOME: '/home/a', BORG_CONFIG_DIR: '/c' }, '/c/keys'],
    [{ BORG_BASE_DIR: '/s', BORG_KEYS_DIR: '/k' }, '/k'],
  ])('%o → %s', (env, expected) => {
    expect(borgKeysDir(env)).toBe(expected);
  });

  it('reads the repository id from the first line of an export only', () => {
    const id = 'ab'.repeat(32);
    expect(keyRepositoryId(Buffer.from(`BORG_KEY ${id}\nhqlhbGdvcml0aG0=\n`))).toBe(id);
    expect(keyRepositoryId(Buffer.from(`hello\nBORG_KEY ${id}\n`))).toBeUndefined();
    expect(keyRepositoryId(Buffer.from('BORG_KEY 1234\n'))).toBeUndefined();
  });
});

/** A keyfile repository made by raw borg in `sandbox`, with one archive; its exported key. */
async function keyfileRepository(sandbox: BorgSandbox, name: string) {
  const repo = join(sandbox.dir, name);
  const env = { BORG_PASSPHRASE: PASSPHRASE };
  const init = await sandbox.raw(['init', '--encryption', 'keyfile', repo], { env });
  expect(init.exitCode, init.stderr).toBe(0);
  await mkdir(join(sandbox.dir, 'data'), { recursive: true });
  await writeFile(join(sandbox.dir, 'data', 'a.txt'), 'alpha\n');
  const create = await sandbox.raw(['create', `${repo}::first`, 'data'], { env, cwd: sandbox.dir });
  expect(create.exitCode, create.stderr).toBe(0);
  const exported = join(sandbox.dir, `${name}.key`);
  expect((await sandbox.raw(['key', 'export', repo, exported], { env })).exitCode).toBe(0);
  return { repo, key: await readFile(exported) };
}

/** An adapter whose borg home has no key (a new machine), temporary files under its own TMPDIR. */
async function newMachine(env: Record<string, string>) {
  const dir = await tempDir('borgops-newhost-');
  const home = join(dir, 'home');
  const tmp = join(dir, 'tmp');
  await mkdir(tmp);
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  onTestFinished(() => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
  });
  const { logger, lines } = recordingLogger('warn');
  const borgEnv = { ...env, BORG_BASE_DIR: home };
  return {
    borg: createBorg({ env: borgEnv, logger }),
    keysDir: borgKeysDir(borgEnv),
    tmp,
    lines,
    leftovers: async () => (await readdir(tmp)).filter((name) => name.startsWith('borgops-key-')),
  };
}

async function committed(key: Uint8Array | string, dir: string): Promise<CommittedKey> {
  const admin = await adminKey(dir);
  return { file: FILE, armored: await encryptTo([admin.recipient], key), identity: admin.file };
}

function target(sandbox: BorgSandbox, repo: string, key: CommittedKey): BorgTarget {
  return sandbox.target(repo, { kind: 'command', command: `echo ${PASSPHRASE}` }, { key });
}

describe('keyfile modes: the committed key opens the repository where borg has no key (real borg, age)', () => {
  it('a host without the key lists and extracts with the committed key; nothing of it stays on disk', async () => {
    const sandbox = await borgSandbox();
    const { repo, key } = await keyfileRepository(sandbox, 'repo');
    const host = await newMachine(sandbox.env);
    const t = target(sandbox, repo, await committed(key, sandbox.dir));

    const observed = await host.borg.list(t);
    expect(observed.state === 'present' && observed.archives.map((a) => a.name)).toEqual(['first']);
    const into = join(sandbox.dir, 'restored');
    await mkdir(into);
    await host.borg.extract(t, 'first', { paths: ['data'], cwd: into });
    expect(await readFile(join(into, 'data', 'a.txt'), 'utf8')).toBe('alpha\n');
    // borg's keys directory was never given the key, and the temporary file is gone
    expect(await hasLocalKey(host.keysDir)).toBe(false);
    expect(await host.leftovers()).toEqual([]);

    // without the committed key the same host cannot open it: the test above is not vacuous
    const bare = await host.borg.list(
      sandbox.target(repo, { kind: 'command', command: `echo ${PASSPHRASE}` }),
    );
    expect(bare.state === 'failed' && bare.failure).toBe('passphrase');
  });

  it('a tampered or truncated committed key is a named error and starts no borg', async () => {
    const sandbox = await borgSandbox();
    const { repo, key } = await keyfileRepository(sandbox, 'repo');
    const host = await newMachine(sandbox.env);
    const good = await committed(key, sandbox.dir);
    const lines = good.armored.split('\n');
    const middle = Math.floor(lines.length / 2);
    const flipped = lines[middle]!.startsWith('A')
      ? `B${lines[middle]!.slice(1)}`
      : `A${lines[middle]!.slice(1)}`;
    const variants = {
      tampered: [...lines.slice(0, middle), flipped, ...lines.slice(middle + 1)].join('\n'),
      truncated: [...lines.slice(0, 2), lines.at(-2)!, ''].join('\n'),
    };
    for (const [what, armored] of Object.entries(variants)) {
      const before = host.borg.processCount;
      const observed = await host.borg.list(target(sandbox, repo, { ...good, armored }));
      expect(observed.state, what).toBe('failed');
      if (observed.state !== 'failed') continue;
      expect(observed.failure, what).toBe('passphrase');
      expect(observed.message, what).toContain(`cannot decrypt ${FILE} with ${good.identity}`);
      expect(host.borg.processCount, what).toBe(before);
    }
    const notAKey = await host.borg.list(
      target(sandbox, repo, await committed('just some text\n', join(sandbox.dir, 'data'))),
    );
    expect(notAKey.state === 'failed' && notAKey.message).toContain(
      `${FILE} decrypts, but is not a borg key export`,
    );
    expect(await host.leftovers()).toEqual([]);
  });

  it("another repository's key is borg's KeyfileMismatchError, naming the committed file", async () => {
    const sandbox = await borgSandbox();
    const { repo } = await keyfileRepository(sandbox, 'repo');
    const other = await keyfileRepository(sandbox, 'other');
    const host = await newMachine(sandbox.env);
    const t = target(sandbox, repo, await committed(other.key, sandbox.dir));
    const observed = await host.borg.list(t);
    expect(observed.state).toBe('failed');
    if (observed.state !== 'failed') return;
    expect(observed.failure).toBe('passphrase');
    expect(observed.message).toMatch(/Mismatch between repository .* and key file /);
    expect(observed.message).toContain(`${FILE} (decrypted)`);
    expect(observed.message).not.toContain(host.tmp);
    expect(await host.leftovers()).toEqual([]);
  });

  it("this host's own key wins over a stale committed one (a re-initialized repository); init never writes to the temporary file", async () => {
    const sandbox = await borgSandbox();
    const old = await keyfileRepository(sandbox, 'old');
    const host = await newMachine(sandbox.env);
    const key = await committed(old.key, sandbox.dir);
    // the repository is made anew on this host (apply --allow-reinit): its key is in borg's keys dir
    const repo = join(sandbox.dir, 'renewed');
    const t = target(sandbox, repo, key);
    await host.borg.init(t, 'keyfile');
    const keys = await readdir(host.keysDir);
    expect(keys).toHaveLength(1);
    expect(await host.leftovers()).toEqual([]);
    const id = keyRepositoryId(await readFile(join(host.keysDir, keys[0]!)));
    expect(id).toBeDefined();
    expect(id).not.toBe(keyRepositoryId(old.key));

    const first = await host.borg.list(t);
    expect(first.state).toBe('present');
    expect(host.lines.join('')).toContain('committed borg key is not the repository key');
    // remembered for the command: the next process does not try the stale key again
    const before = host.borg.processCount;
    expect((await host.borg.list(t)).state).toBe('present');
    expect(host.borg.processCount - before).toBe(1);
    // the host that has the repository's key does not need the committed one to decrypt at all
    const broken = { ...key, armored: key.armored.replace(/\n[A-Za-z0-9+/]{10}/, '\nAAAAAAAAAA') };
    expect((await host.borg.list(target(sandbox, repo, broken))).state).toBe('present');
    expect(await host.leftovers()).toEqual([]);
  });

  it('BORG_KEY_FILE from the environment is not passed on to borg', async () => {
    const sandbox = await borgSandbox();
    const { repo, key } = await keyfileRepository(sandbox, 'repo');
    const stray = join(sandbox.dir, 'stray.key');
    await writeFile(stray, key);
    const host = await newMachine({ ...sandbox.env, BORG_KEY_FILE: stray });
    const observed = await host.borg.list(
      sandbox.target(repo, { kind: 'command', command: `echo ${PASSPHRASE}` }),
    );
    expect(observed.state === 'failed' && observed.failure).toBe('passphrase');
  });
});
