import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSource } from '../../../src/git/source.js';
import { lookupUser } from '../../../src/host/accounts.js';
import { errnoText, hostFsError, orAbsent } from '../../../src/host/fs-error.js';
import { observeHooks, removeStaleTemporaryFiles } from '../../../src/host/hooks.js';
import { ensureKnownHostsFile } from '../../../src/host/known-hosts.js';
import { observeServed } from '../../../src/host/served.js';
import { observeSshKey } from '../../../src/host/ssh-key.js';
import { tempDir } from '../../helpers/temp.js';

describe('file system errors', () => {
  it('are one line naming the path and what the errno means', () => {
    const error = Object.assign(new Error("EACCES: permission denied, open '/x'"), { code: 'EACCES' });
    expect(hostFsError('read', '/x/ledger.json', error).shortMessage).toBe(
      'cannot read /x/ledger.json: permission denied (EACCES)',
    );
    expect(hostFsError('read', '/x', error).code).toBe('E_HOST');
    expect(errnoText(Object.assign(new Error('odd'), { code: 'EWEIRD' }))).toBe('EWEIRD');
    expect(errnoText(new Error('plain'))).toBe('plain');
  });

  it('orAbsent: ENOENT is absent, anything else an error', async () => {
    const dir = await tempDir();
    expect(await orAbsent(mkdir(join(dir, 'a', 'b')), 'make', join(dir, 'a', 'b'))).toBeUndefined();
    await writeFile(join(dir, 'file'), '');
    await expect(orAbsent(mkdir(join(dir, 'file', 'b')), 'make', join(dir, 'file', 'b'))).rejects.toThrow(
      `cannot make ${join(dir, 'file', 'b')}: `,
    );
  });
});

/** Host readers that once turned any read error into "absent": only a missing file is absent now. */
const readers: { name: string; read(path: string): Promise<unknown>; absent: unknown }[] = [
  { name: 'hooks directory', read: (path) => observeHooks(path), absent: {} },
  {
    name: 'hooks directory (stale temporary files)',
    read: (path) => removeStaleTemporaryFiles(path),
    absent: [],
  },
  { name: 'ssh key', read: (path) => observeSshKey(path), absent: { exists: false } },
  // authorized_keys is opened without following links (issue 13): one that cannot be read safely
  // reads as absent and applying refuses with the reason (test/src/host/served.test.ts)
  {
    name: 'served repository',
    read: (path) => observeServed(join(path, 'repo')),
    absent: { exists: false, isDirectory: false },
  },
  { name: 'known_hosts', read: (path) => ensureKnownHostsFile(path, 'x\n'), absent: undefined },
  { name: 'passwd under --root', read: (path) => lookupUser('nobody-here', path), absent: undefined },
];

describe.each(readers)('$name', ({ read, absent }) => {
  it('is absent when missing, an error when in the way', async () => {
    const dir = await tempDir();
    expect(await read(join(dir, 'missing', 'x'))).toEqual(absent);
    // a file where a directory is expected (ENOTDIR), or a directory where a file is (EISDIR)
    await writeFile(join(dir, 'file'), '');
    await mkdir(join(dir, 'dir', 'etc', 'passwd'), { recursive: true });
    const errors = await Promise.all(
      [join(dir, 'file', 'x'), join(dir, 'dir', 'etc', 'passwd'), join(dir, 'dir')].map((path) =>
        read(path).then(
          () => undefined,
          (e: unknown) => (e instanceof Error ? e.message : String(e)),
        ),
      ),
    );
    expect(errors.filter((e) => e !== undefined)).not.toEqual([]);
    for (const message of errors)
      if (message !== undefined) expect(message).toMatch(/^cannot \w+ .*\((ENOTDIR|EISDIR)\)$/);
  });
});

describe('config source', () => {
  it('names a source that cannot be read, and says a missing one does not exist', async () => {
    const dir = await tempDir();
    await expect(openSource(join(dir, 'missing'))).rejects.toThrow('does not exist or is not a directory');
    await writeFile(join(dir, 'file'), '');
    await expect(openSource(join(dir, 'file', 'x'))).rejects.toThrow(
      `cannot read the config source ${join(dir, 'file', 'x')}: a component of the path is not a directory (ENOTDIR)`,
    );
  });
});
